/**
 * sqlrev as a library. Every function returns data and never prints; errors
 * are SqlrevError values carrying the exit code the CLI would use.
 *
 *   import { up } from 'sqlrev';
 *   await up({ dir: 'migrations', schema: 'sqlrev', db: process.env.DATABASE_URL });
 */
export { up, down, stamp, rehash, status, show, verifyDatabase, precheck, type DbOptions, type RunOptions, type RunResult, type StepReport, type Hooks, type StatusResult, type ShowResult, type StampResult, type RehashResult } from './engine.js';
export { loadProject, projectFromEntries, type Project } from './project.js';
export { readRevisions, type FileEntry } from './files.js';
export { readFolder } from './folder.js';
export { Graph } from './graph.js';
export { parseTarget, resolveUpTarget, resolveDownTarget, currentHeads, type TargetExpr, type UpGoal, type DownGoal } from './target.js';
export { planUp, planDown, checkApplied, type Plan } from './plan.js';
export { splitSql, type SplitResult } from './split.js';
export { classifyStatement, type StatementKind } from './classify.js';
export { compareApplied, type Drift, type Edit } from './verify.js';
export { newRevision, mergeRevision, initProject } from './authoring.js';
export { SqlrevError, EXIT, type Problem } from './errors.js';
export type { Revision, RevisionFile, GraphNode } from './types.js';
export { VERSION } from './version.js';
