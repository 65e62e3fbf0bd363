"""Scheduling: what is due, leases so one customer never has two overlapping syncs, executors.

due.py         pure planning: due or not, next slot (interval or cron), jitter, back-off
leases.py      hold a customer's lease while a job runs (renewed, loss noticed)
jobs.py        one customer's job: under the lease, if still due, pull then push, book it
executor.py    the inline executor (default): runs jobs in the scheduler's process
celery_app.py  the Celery app and task (scale-out): workers run the same job
runner.py      the scheduler loop: plan a pass, hand due customers to the executor
settings.py    the scheduler's and Celery's settings
"""
