export type {
  DatabaseKind,
  IsolationLevel,
  QueryResult,
  SqlExecutor,
  TransactionOptions,
} from './types.js';
