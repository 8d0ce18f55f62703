// The helpers live in src/testing so other projects' Kafka tests use the same isolation.
export * from '../src/testing';
