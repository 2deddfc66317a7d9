"""An AMQP 0-9-1 client on pika, for the tests:
`amqp_client.py PORT QUEUE N GO_FILE`. Prints its pid and waits for GO_FILE
(so sonde can target it first), declares QUEUE, publishes N messages to it
through the default exchange, prints "published" and waits for GO_FILE.2;
then takes 5 with basic.get, asks once more on an empty queue after
consuming the rest with basic.consume and manual acks, and prints what it
got: "got G consumed C empty E"."""
import os
import sys
import time

import pika

port, queue, n, go = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]


def wait(path):
    while not os.path.exists(path):
        time.sleep(0.05)


print(os.getpid(), flush=True)
wait(go)
conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port))
ch = conn.channel()
ch.queue_declare(queue=queue)
for i in range(n):
    ch.basic_publish(exchange="", routing_key=queue, body=b"order %d" % i)
# A round trip, so every publish is in before the count.
ch.queue_declare(queue=queue, passive=True)
print("published", flush=True)
wait(go + ".2")
got = 0
for _ in range(5):
    method, _, _ = ch.basic_get(queue=queue, auto_ack=True)
    got += method is not None
consumed = 0
for method, _, _ in ch.consume(queue, inactivity_timeout=5):
    if method is None:
        break
    ch.basic_ack(method.delivery_tag)
    consumed += 1
    if got + consumed == n:
        break
ch.cancel()
method, _, _ = ch.basic_get(queue=queue, auto_ack=True)
empty = int(method is None)
conn.close()
print("got %d consumed %d empty %d" % (got, consumed, empty), flush=True)
