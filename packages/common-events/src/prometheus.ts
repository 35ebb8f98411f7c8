// Prometheus exposition of the bus's metrics for prom-client (or any registry with
// registerMetric), without depending on it: `createPrometheusMetrics(registry)`.
export {
  createPrometheusMetrics,
  type PrometheusMetric,
  type PrometheusMetricsOptions,
  type PrometheusRegistry,
  type PrometheusSample,
} from './observability/prometheus.js';
