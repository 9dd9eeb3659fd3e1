"""`make redrive`: a consumer's dead-letter queue, listed by reason and moved back to its buffer queue.

`messages` reads DLQ messages (reason, object, age), `sweep` holds a queue's messages while they are looked at,
`move` moves them (SQS's own message move task, or a receive/send/delete loop with the same semantics),
`cli` is the command.
"""
