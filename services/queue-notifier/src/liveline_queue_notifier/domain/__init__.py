"""The queue-notifier service's pure logic: models, rules and errors of merchants' live queues, push schedules and the notifications sent. No I/O imports."""
