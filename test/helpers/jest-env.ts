/**
 * Jest setup: Powertools Metrics would print an EMF document per request/batch on stdout in
 * every test that runs a handler. Tests that look at them (test/unit/metrics) enable them again.
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'clickstream-pipeline/test';
