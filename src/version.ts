/** The tool version, recorded in sqlrev's action log and printed by --version. */
export const VERSION = '0.1.0';
