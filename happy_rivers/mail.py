"""Optional e-mail copies of notifications, sent by one background thread per process.

Configured by MAIL_SERVER (off when unset), MAIL_PORT (25), MAIL_FROM, MAIL_USERNAME /
MAIL_PASSWORD (login when set), MAIL_STARTTLS, MAIL_SSL, MAIL_TIMEOUT (seconds, 10),
MAIL_QUEUE_SIZE (200) and MAIL_BASE_URL (the address people open, for the link in the message;
else the request's own).

The request never waits for the mail server: store/notifications.py hands the messages over
only after the transaction has committed, `notify` puts them on a bounded queue without
blocking, and the thread sends them. A full queue drops the message (logged); a server that is
down or refuses costs a logged error, never a failed request. The in-app inbox is the record;
e-mail is a courtesy copy, so a message lost to a restart is acceptable.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, has_request_context, request

logger = logging.getLogger(__name__)
EXTENSION = "happy_rivers_mailer"
SUBJECT = "【重庆市幸福河湖评价】新通知"


class Mailer:
    def __init__(self, config: dict):
        self.server = config["MAIL_SERVER"]
        self.port = int(config.get("MAIL_PORT") or 25)
        self.sender = config.get("MAIL_FROM") or f"noreply@{self.server}"
        self.username = config.get("MAIL_USERNAME")
        self.password = config.get("MAIL_PASSWORD")
        self.starttls = bool(config.get("MAIL_STARTTLS"))
        self.ssl = bool(config.get("MAIL_SSL"))
        self.timeout = float(config.get("MAIL_TIMEOUT") or 10)
        self.base_url = (config.get("MAIL_BASE_URL") or "").rstrip("/")
        self.queue: queue.Queue[EmailMessage] = queue.Queue(
            maxsize=int(config.get("MAIL_QUEUE_SIZE") or 200)
        )
        self.sent = 0
        self.failed = 0
        self.dropped = 0
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the request's side: never blocks ------------------------------------------------------

    def notify(self, addresses: list[str], text: str) -> None:
        """Queue one message per address with the notification's text and a link to the inbox."""
        base = self.base_url or (request.url_root.rstrip("/") if has_request_context() else "")
        body = f"{text}\n\n请登录系统查看：{base}/inbox\n\n（本邮件由系统自动发送，请勿回复。）\n"
        for address in addresses:
            message = EmailMessage()
            message["Subject"] = SUBJECT
            message["From"] = self.sender
            message["To"] = address
            message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
            message.set_content(body)
            self.put(message)

    def put(self, message: EmailMessage) -> None:
        self._start()
        try:
            self.queue.put_nowait(message)
        except queue.Full:
            self.dropped += 1
            logger.warning("mail queue full: dropped the message to %s", message["To"])

    # -- the thread's side ---------------------------------------------------------------------

    def _start(self) -> None:
        # started on first use, in the process that sends (gunicorn forks workers after import)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mailer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            message = self.queue.get()
            try:
                self._deliver(message)
            except Exception:  # noqa: BLE001 — anything the server or network does: log, go on
                self.failed += 1
                logger.exception("could not send mail to %s", message["To"])
            else:
                self.sent += 1
            finally:
                self.queue.task_done()

    def _deliver(self, message: EmailMessage) -> None:
        connect = smtplib.SMTP_SSL if self.ssl else smtplib.SMTP
        with connect(self.server, self.port, timeout=self.timeout) as smtp:
            if self.starttls and not self.ssl:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)

    def wait(self, timeout: float) -> bool:
        """Until every queued message has been tried (True), or `timeout` seconds (False)."""
        with self.queue.all_tasks_done:
            return self.queue.all_tasks_done.wait_for(
                lambda: self.queue.unfinished_tasks == 0, timeout
            )


def init_app(app: Flask) -> None:
    if app.config.get("MAIL_SERVER"):
        app.extensions[EXTENSION] = Mailer(app.config)


def mailer(app: Flask) -> Mailer | None:
    return app.extensions.get(EXTENSION)
