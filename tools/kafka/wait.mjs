// Readiness probe for tools/kafka/kafka.sh: succeeds once a Kafka metadata request (list topics)
// answers and the cluster lists at least BROKERS brokers (default 1), fails after the timeout.
// Usage: node wait.mjs HOST:PORT[,HOST:PORT…] TIMEOUT_S [BROKERS]
import { Kafka, logLevel } from 'kafkajs';

const [brokers = '127.0.0.1:9092', timeoutArg = '60', brokersArg = '1'] = process.argv.slice(2);
const wanted = Number(brokersArg);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const kafka = new Kafka({
  clientId: 'nextx-kafka-wait',
  brokers: brokers.split(','),
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
    if (cluster.brokers.length >= wanted) {
      console.log(`[kafka] ${brokers} ready: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${topics.length} topic(s)`);
      process.exit(0);
    }
    lastError = `${cluster.brokers.length} of ${wanted} brokers registered (${cluster.brokers.map((b) => b.nodeId).join(',')})`;
  } catch (error) {
    lastError = error instanceof Error ? error.message : String(error);
    await admin.disconnect().catch(() => undefined);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.error(`[kafka] ${brokers} not ready after ${timeoutArg}s: ${lastError}`);
process.exit(1);
