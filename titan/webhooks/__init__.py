"""Webhooks: admins register endpoints; events are delivered as signed JSON by the job queue."""
