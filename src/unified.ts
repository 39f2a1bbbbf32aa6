/**
 * Unified diffs (the `diff` package), loaded only when there is something to
 * show: most runs find no edit, and every command's start-up time counts for
 * the `migrate up` that each container start runs.
 */
import { createRequire } from 'node:module';

type CreatePatch = (oldName: string, newName: string, oldText: string, newText: string) => string;
let createPatch: CreatePatch | undefined;

export function unifiedDiff(oldName: string, newName: string, oldText: string, newText: string): string {
  createPatch ??= (createRequire(import.meta.url)('diff') as { createTwoFilesPatch: CreatePatch }).createTwoFilesPatch;
  return createPatch(oldName, newName, oldText, newText);
}
