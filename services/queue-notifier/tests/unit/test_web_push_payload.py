"""What a phone shows for a Web Push, and which push services a production notifier posts to."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveline_queue_notifier.domain.errors import InvalidPushSubscription
from liveline_queue_notifier.handlers.webpush import _refuse_in_production, push_payload
from liveline_shared.events import NotificationCreated

NOW = datetime(2015, 3, 24, 8, 30, tzinfo=UTC)


def notification(**fields) -> NotificationCreated:
    values = dict(occurred_at=NOW, producer="queue-notifier", notification_id="n1", user_id="u1", kind="queue_update",
                  subject="queue_update", order_id="o1", merchant_id="m1", link_path="/orders/o1")
    return NotificationCreated(**(values | fields))


def test_a_stale_queue_update_says_its_figures_are_not_current():
    payload = push_payload(notification(title="Noodles: the queue", waiting_parties=1, waiting_people=1,
                                        wait_low_minutes=5, wait_high_minutes=10, stale=True))
    assert payload == {"title": "Noodles: the queue", "notification_id": "n1", "link_path": "/orders/o1", "tag": "order-o1",
                       "body": "1 person waiting (1 party), wait about 5–10 min. These figures are not current."}


def test_an_empty_queue_shows_no_wait_and_other_notifications_get_a_title_of_their_own():
    assert push_payload(notification(waiting_parties=0, waiting_people=0, wait_low_minutes=0, wait_high_minutes=0,
                                     late=True))["body"] == "0 people waiting (0 parties). Sent late."
    prompt = push_payload(notification(notification_id="video-prompt~o1", kind="video_prompt", subject="video_prompt"))
    assert prompt["title"] == "Thanks for visiting — record a short video of it"
    assert prompt["tag"] == "video-prompt~o1"


@pytest.mark.parametrize("endpoint", [
    "http://push.example.net/x", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://[::1]/x", "https://localhost/x",
    "https://queue-notifier/x", "https://kafka.kafka.svc.internal/x", "https://169.254.169.254/latest",
])
def test_production_posts_only_to_public_https_push_services(endpoint):
    with pytest.raises(InvalidPushSubscription):
        _refuse_in_production(endpoint)


@pytest.mark.parametrize("endpoint", ["https://fcm.googleapis.com/fcm/send/abc", "https://web.push.apple.com/QGx",
                                      "https://updates.push.services.mozilla.com/wpush/v2/gAAA"])
def test_production_takes_the_browsers_push_services(endpoint):
    _refuse_in_production(endpoint)
