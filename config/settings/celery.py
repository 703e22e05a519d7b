"""Background work: Celery's broker, workers and beat's schedule; without a broker (the embedded
mode) beat's schedule in a thread of the web process and every task in process."""

from config.settings.base import TIME_ZONE, env
from config.settings.realtime import REDIS_URL

# --- Celery. With a broker (production): workers and one beat. Without one (the embedded mode)
# there is no worker to die: the web process runs beat's schedule in a thread and every task
# eagerly in process (config/celery.py), so what background work announces reaches open pages.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
BACKGROUND_IN_PROCESS = not CELERY_BROKER_URL
if BACKGROUND_IN_PROCESS:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = BACKGROUND_IN_PROCESS or env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A worker rides out broker restarts: it retries the connection for ever, at start-up too, and
# takes no part in the broker-wide chatter (gossip, mingle, remote control) that failed to come
# back on Redis reconnects (celery/celery#8030 and friends); `celery inspect` is not used here.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_keepalive": True, "health_check_interval": 10}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
BACKGROUND_HEARTBEAT_SECONDS = env.float("BACKGROUND_HEARTBEAT_SECONDS", default=5.0)
# How often an open page asks /readyz whether background work runs (only while it is visible).
BACKGROUND_STATUS_CHECK_SECONDS = env.float("BACKGROUND_STATUS_CHECK_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    # Proof that beat and a worker run (config/celery.py): /readyz and an alert read it.
    "background-heartbeat": {"task": "background.heartbeat", "schedule": BACKGROUND_HEARTBEAT_SECONDS},
    # Enqueues every due scheduled-transfer occurrence (each runs exactly once, see wallets.services).
    "wallets-scheduled-transfers": {
        "task": "wallets.enqueue_due_scheduled_transfers",
        "schedule": env.float("WALLET_SCHEDULE_TICK_SECONDS", default=10.0),
    },
    # Posts each recurring dues' request once per period (guarded like the scheduled transfers).
    "wallets-recurring-dues": {
        "task": "wallets.enqueue_due_recurring_dues",
        "schedule": env.float("WALLET_SCHEDULE_TICK_SECONDS", default=10.0),
    },
    "wallets-check-ledger": {
        "task": "wallets.check_ledger",
        "schedule": env.float("WALLET_LEDGER_CHECK_SECONDS", default=300.0),
    },
    "accounts-flush-expired-tokens": {"task": "accounts.flush_expired_tokens", "schedule": 3600.0},
    # Publishes what writes announced while Redis was away (chat/outbox.py); each run empties it.
    "chat-relay-outbox": {"task": "chat.relay_outbox", "schedule": env.float("CHAT_OUTBOX_RELAY_SECONDS", default=1.0)},
    "chat-trim-kept-events": {"task": "chat.trim_kept_events", "schedule": 3600.0},
    # Closes polls whose closing time came (each exactly once: chat.polls.polls_close_due).
    "chat-close-due-polls": {
        "task": "chat.close_due_polls",
        "schedule": env.float("CHAT_POLL_TICK_SECONDS", default=5.0),
    },
}
if REDIS_URL:  # the embedded mode stores each message as it is sent: nothing to drain
    # Drains the chat persistence stream; each run loops until the stream is empty.
    CELERY_BEAT_SCHEDULE["chat-persist-messages"] = {
        "task": "chat.persist_messages",
        "schedule": env.float("CHAT_PERSIST_INTERVAL_SECONDS", default=0.5),
    }
