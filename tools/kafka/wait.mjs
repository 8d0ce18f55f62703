// Readiness probe for tools/kafka/kafka.sh: succeeds once a Kafka metadata request (list topics)
// answers on the given broker, fails after the timeout. Usage: node wait.mjs HOST:PORT TIMEOUT_S
import { Kafka, logLevel } from 'kafkajs';

const [broker = '127.0.0.1:9092', timeoutArg = '60'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({
  clientId: 'nextx-kafka-wait',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
});

let lastError = 'no attempt';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    const cluster = await admin.describeCluster();
    await admin.disconnect();
    console.log(`[kafka] ${broker} ready: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${topics.length} topic(s)`);
    process.exit(0);
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
    await admin.disconnect().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
console.error(`[kafka] ${broker} not ready after ${timeoutArg}s: ${lastError}`);
process.exit(1);
