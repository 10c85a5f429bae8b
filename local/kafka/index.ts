/**
 * Kafka-wire-compatible development broker (dev and tests only; production uses MSK or a real
 * Kafka). See docs/local-kafka.md for what it supports and its limits.
 */
export { startCluster, type ClusterOptions, type DevCluster } from './cluster.ts';
