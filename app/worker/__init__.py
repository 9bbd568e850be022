"""The background worker: durable jobs in the database, leased by `invoicing worker` processes.

See docs/WORKER.md. Domain code uses two extension points:

- `app.worker.queue.enqueue(session, kind, payload)` inside its own transaction (and, for email,
  `app.mail.service.enqueue_mail(session, template, to, context)`);
- `app.worker.registry.registry.job(...)`, `.periodic(...)` and `.daily(...)` to declare what a job
  kind does, in a module listed in `app/jobs.py`.
"""
