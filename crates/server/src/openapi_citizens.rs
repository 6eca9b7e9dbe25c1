//! The `citizens` section of the OpenAPI document: sign-in by phone with a one-time SMS code,
//! the class suggested from a description and the outbox of messages. A child module of
//! [`super`] (`openapi.rs`), using its builders.

use serde_json::{Value, json};

use super::{ADMIN, AUTH, JSON_BODY, Op, arr, closed, int64, object, r, string, string_enum};
use crate::routes::citizens::{
    OTP_IP_BURST, OTP_IP_INTERVAL_MS, OTP_MAX_ATTEMPTS, OTP_PER_DAY, OTP_RESEND_SECONDS,
    OTP_TTL_MINUTES,
};

/// The operations of the `citizens` tag.
pub(super) fn citizen_ops() -> Vec<Op> {
    vec![
        Op::post(
            "/api/auth/otp",
            "requestSignInCode",
            "Send a sign-in code by SMS (短信验证码)",
        )
        .public()
        .doc(format!(
            "Sends a 6-digit code to a mainland mobile number, valid {OTP_TTL_MINUTES} minutes \
             (a new request replaces the old code). At most one code per {OTP_RESEND_SECONDS} s \
             and {OTP_PER_DAY} a calendar day (Asia/Shanghai) per phone, and per client address \
             {OTP_IP_BURST} at once then one every {} s: 429 `rate_limited` with `Retry-After` \
             (when the next request would pass). The limits are shared by all nodes on one \
             database. Every SMS is kept in the outbox (`GET /api/notifications`).",
            OTP_IP_INTERVAL_MS / 1000
        ))
        .json_body(r("OtpRequest"), "The phone number.")
        .ok(202, "Sent.", r("OtpSent"))
        .errors(JSON_BODY)
        .errors(&["invalid_phone", "rate_limited", "internal"]),
        Op::post(
            "/api/auth/otp/verify",
            "signInWithCode",
            "Sign in with the SMS code (验证码登录)",
        )
        .public()
        .doc(format!(
            "Signs in with the code: the same answer and session cookie as `POST \
             /api/auth/login`. The first sign-in of a phone creates a citizen account (市民). \
             A wrong code counts against it; after {OTP_MAX_ATTEMPTS} the code is burnt. A phone \
             of a staff account cannot sign in this way (403)."
        ))
        .json_body(r("OtpVerify"), "The phone and the code.")
        .ok(200, "Signed in.", r("LoginResponse"))
        .errors(JSON_BODY)
        .errors(&["invalid_phone", "invalid_code", "forbidden", "internal"]),
        Op::get(
            "/api/taxonomy/suggest",
            "suggestClass",
            "Suggest the class from a description (智能分类)",
        )
        .doc(
            "The matter classes a free-text description most likely means, best first, with a \
             score (0–1) and why. Keyword- and name-based; empty when nothing fits.",
        )
        .query(
            "text",
            true,
            string("The description, up to 2000 characters."),
            "",
        )
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 10, "default": 5 }),
            "",
        )
        .ok(200, "The suggestions.", r("ClassSuggestions"))
        .errors(AUTH)
        .errors(&["bad_request", "too_long"]),
        Op::get(
            "/api/notifications",
            "listNotifications",
            "Messages sent (通知发件箱)",
        )
        .roles(ADMIN)
        .doc(
            "The outbox, newest first: every SMS (sign-in codes, answers to citizens) and \
             webhook, whether it went out, and the error if not.",
        )
        .query("channel", false, string_enum(["sms", "webhook"], ""), "")
        .query("to", false, string("A phone number or webhook URL."), "")
        .query("case_id", false, int64(""), "")
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 50 }),
            "",
        )
        .ok(200, "The messages.", r("Notifications"))
        .errors(AUTH)
        .errors(&["bad_request"]),
        Op::post(
            "/api/webhooks",
            "createWebhook",
            "Register a webhook (集成推送)",
        )
        .roles(ADMIN)
        .doc(format!(
            "An integration endpoint for case changes. For each case event whose action is \
                 in `actions` (all when empty) the notifier POSTs JSON `{{event, case}}` (no \
                 personal data of the reporter) with headers `X-Yiwang-Event` (the action), \
                 `X-Yiwang-Delivery` (the outbox id) and `X-Yiwang-Signature: sha256=<hex \
                 HMAC-SHA256 of the body under the secret>`. A 2xx answer within {} s counts \
                 as delivered; errors, 5xx, 408 and 429 are retried with backoff (30 s doubling, \
                 at most an hour) up to {} attempts; other 4xx fail at once. Deliveries may \
                 arrive out of order (`event.id` orders them) and, after a node dies \
                 mid-delivery, rarely twice (`X-Yiwang-Delivery` tells). `https://` \
                 endpoints must present a certificate valid for the host from the Mozilla \
                 roots or the node's `[notify] extra_ca_file`; a refused certificate is a \
                 failed attempt (retried) whose error names the reason. The answer carries \
                 the secret, the only time it is shown.",
            crate::notify::WEBHOOK_TIMEOUT.as_secs(),
            crate::notify::MAX_WEBHOOK_ATTEMPTS
        ))
        .json_body(r("WebhookRequest"), "The endpoint.")
        .ok(201, "Registered.", r("WebhookCreated"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "invalid_url",
            "invalid_name",
            "invalid_secret",
            "unknown_action",
            "duplicate",
        ]),
        Op::get("/api/webhooks", "listWebhooks", "Registered webhooks")
            .roles(ADMIN)
            .doc("Every registered endpoint, stopped ones too, without secrets.")
            .ok(200, "The webhooks.", r("Webhooks"))
            .errors(AUTH),
        Op::new(
            "delete",
            "/api/webhooks/{id}",
            "deleteWebhook",
            "Stop a webhook",
        )
        .roles(ADMIN)
        .doc("Stops the endpoint; messages still waiting for it fail.")
        .path_param("id", int64(""), "Webhook id.")
        .empty(204, "Stopped.")
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
    ]
}

/// The schemas of the `citizens` tag.
pub(super) fn citizen_schemas() -> Vec<(&'static str, Value)> {
    let phone = json!({ "type": "string", "pattern": "^1[3-9][0-9]{9}$", "description": "Mainland mobile number." });
    let otp_request = closed(vec![("phone", phone.clone())], &["phone"]);
    let otp_verify = closed(
        vec![
            ("phone", phone),
            (
                "code",
                json!({ "type": "string", "description": "The 6 digits from the SMS." }),
            ),
        ],
        &["phone", "code"],
    );
    let sent = object(
        vec![
            ("sent", json!({ "type": "boolean" })),
            ("expires_in_seconds", int64("")),
            ("resend_after_seconds", int64("")),
        ],
        &["sent", "expires_in_seconds", "resend_after_seconds"],
    );
    let suggestion = object(
        vec![
            ("standard_ref", string("")),
            ("kind", string_enum(["matter", "component"], "")),
            ("code", string("")),
            ("name", string("")),
            (
                "score",
                json!({ "type": "number", "minimum": 0, "maximum": 1 }),
            ),
            ("reason", string("What matched.")),
        ],
        &["standard_ref", "kind", "code", "name", "score", "reason"],
    );
    let suggestions = object(vec![("suggestions", arr(suggestion))], &["suggestions"]);
    let nullable_text = json!({ "type": ["string", "null"] });
    let notification = object(
        vec![
            ("id", int64("")),
            ("channel", string_enum(["sms", "webhook"], "")),
            ("kind", string("`otp`, or the case action it tells of.")),
            ("to", string("")),
            ("subject", string("")),
            ("body", string("")),
            (
                "case_id",
                json!({ "type": ["integer", "null"], "format": "int64" }),
            ),
            (
                "status",
                string_enum(["pending", "sending", "sent", "failed"], ""),
            ),
            ("attempts", int64("")),
            ("error", nullable_text.clone()),
            (
                "created_at",
                json!({ "type": "string", "format": "date-time" }),
            ),
            (
                "sent_at",
                json!({ "type": ["string", "null"], "format": "date-time" }),
            ),
        ],
        &[
            "id",
            "channel",
            "kind",
            "to",
            "subject",
            "body",
            "case_id",
            "status",
            "attempts",
            "error",
            "created_at",
            "sent_at",
        ],
    );
    let notifications = object(
        vec![("notifications", arr(notification))],
        &["notifications"],
    );
    let actions = json!({
        "type": "array",
        "items": { "type": "string", "enum": crate::notify::known_actions() },
        "description": "Case actions to receive; empty for all.",
    });
    let webhook_fields = vec![
        ("id", int64("")),
        ("name", string("")),
        ("url", string("")),
        ("actions", actions.clone()),
        ("active", json!({ "type": "boolean" })),
        (
            "created_at",
            json!({ "type": "string", "format": "date-time" }),
        ),
    ];
    let webhook_required = ["id", "name", "url", "actions", "active", "created_at"];
    let webhook = object(webhook_fields.clone(), &webhook_required);
    let mut created_fields = webhook_fields;
    created_fields.push(("secret", string("The signing key; shown only now.")));
    let mut created_required = webhook_required.to_vec();
    created_required.push("secret");
    let webhook_created = object(created_fields, &created_required);
    let webhook_request = closed(
        vec![
            ("name", string("At most 100 characters.")),
            (
                "url",
                string(
                    "An `http://` or `https://` URL with a host, at most 500 characters. \
                     HTTPS is verified against the Mozilla roots and the CA bundle of \
                     `[notify] extra_ca_file`.",
                ),
            ),
            ("actions", actions),
            (
                "secret",
                string("16 to 200 bytes; generated (48 hex digits) when absent."),
            ),
        ],
        &["name", "url"],
    );
    let webhooks = object(vec![("webhooks", arr(webhook))], &["webhooks"]);
    vec![
        ("WebhookRequest", webhook_request),
        ("WebhookCreated", webhook_created),
        ("Webhooks", webhooks),
        ("OtpRequest", otp_request),
        ("OtpVerify", otp_verify),
        ("OtpSent", sent),
        ("ClassSuggestions", suggestions),
        ("Notifications", notifications),
    ]
}
