import { createTopics, delay, uniqueName } from '@otl/testing';
import { createKafka } from './kafka';
import { requestQueuePrototype, type RequestQueueInternals } from './kafkajs-idle';
import { silentLogger } from './logger';

describe('kafkajs idle timers (real Kafka)', () => {
  it('an idle connection neither loops on pending-request checks nor checks timeouts 10 times a second', async () => {
    const kafka = createKafka({
      brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','),
      clientId: 'idle-spec',
      logger: silentLogger,
    });
    const topic = uniqueName('idle');
    await createTopics(kafka, [topic]);

    // Count, per connection queue, the checks for pending requests and the timeout-check ticks.
    const prototype = requestQueuePrototype();
    const queues = new Map<RequestQueueInternals, { pendingChecks: number; timeoutTicks: number }>();
    const { checkPendingRequests, scheduleRequestTimeoutCheck } = prototype;
    prototype.checkPendingRequests = function (this: RequestQueueInternals) {
      const counts = queues.get(this);
      if (counts) counts.pendingChecks++;
      checkPendingRequests.call(this);
    };
    prototype.scheduleRequestTimeoutCheck = function (this: RequestQueueInternals) {
      if (!queues.has(this)) {
        const counts = { pendingChecks: 0, timeoutTicks: 0 };
        queues.set(this, counts);
        // The timeout check asks whether the connection is still up on every tick.
        const isConnected = this.isConnected.bind(this);
        this.isConnected = () => (counts.timeoutTicks++, isConnected());
      }
      scheduleRequestTimeoutCheck.call(this);
    };
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'v' }] });
      await delay(100);
      for (const counts of queues.values()) Object.assign(counts, { pendingChecks: 0, timeoutTicks: 0 });
      await delay(2500);

      expect(queues.size).toBeGreaterThan(0);
      for (const { pendingChecks, timeoutTicks } of queues.values()) {
        // Nothing was pending, so nothing needed checking (kafkajs 2.2.4 alone: one check per ms).
        expect(pendingChecks).toBe(0);
        // Once a second (kafkajs alone: every 100 ms, about 25 in this time).
        expect(timeoutTicks).toBeLessThanOrEqual(3);
      }
    } finally {
      prototype.checkPendingRequests = checkPendingRequests;
      prototype.scheduleRequestTimeoutCheck = scheduleRequestTimeoutCheck;
      await producer.disconnect();
    }
  });
});
