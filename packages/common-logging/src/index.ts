export { getLogContext, type LogContext, withLogContext } from './log-context.js';
