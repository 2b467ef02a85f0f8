//! Pins the JSON of every socket event and the error body: changing the wire format must
//! break this test first.

#![allow(clippy::unwrap_used)]
use chrono::{TimeZone, Utc};
use confab_shared::api::{
    Chat, ChatKind, CreateChatRequest, MarkReadRequest, Member, Message, MessagePage, MuteRequest,
    ReplyPreview, Role, SendMessageRequest, SystemEvent, User,
};
use confab_shared::ws::{ClientEvent, ErrorEvent, Reaction, ServerEvent};
use confab_shared::{ApiError, ChatId, ClientId, ErrorBody, ErrorCode, MessageId, UserId};
use serde_json::{Value, json};
use uuid::Uuid;

const U1: &str = "00000000-0000-4000-8000-000000000001";
const C1: &str = "00000000-0000-4000-8000-0000000000c1";
const M1: &str = "00000000-0000-4000-8000-0000000000a1";
const K1: &str = "00000000-0000-4000-8000-0000000000b1";
const U2: &str = "00000000-0000-4000-8000-000000000002";

fn id(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn user() -> User {
    User { id: UserId(id(U1)), username: "alice".into(), display_name: "Alice".into() }
}

fn user_json() -> Value {
    json!({"id": U1, "username": "alice", "display_name": "Alice"})
}

fn message() -> Message {
    Message {
        id: MessageId(id(M1)),
        chat_id: ChatId(id(C1)),
        seq: 7,
        sender_id: UserId(id(U1)),
        client_id: ClientId(id(K1)),
        body: "hi".into(),
        body_html: "<p>hi</p>\n".into(),
        created_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        edited_at: None,
        deleted: false,
        change_seq: 7,
        reactions: vec![],
        attachments: vec![],
        system: None,
        reply_to: None,
        mentions: vec![],
    }
}

fn message_json() -> Value {
    json!({
        "id": M1, "chat_id": C1, "seq": 7, "sender_id": U1, "client_id": K1, "body": "hi", "body_html": "<p>hi</p>\n",
        "created_at": "2026-01-02T03:04:05Z", "edited_at": null, "deleted": false,
        "change_seq": 7, "reactions": [], "attachments": [], "system": null,
        "reply_to": null, "mentions": []
    })
}

fn chat() -> Chat {
    Chat {
        id: ChatId(id(C1)),
        kind: ChatKind::Group,
        title: Some("Team".into()),
        owner_id: Some(UserId(id(U1))),
        closed: false,
        members: vec![Member { user: user(), role: Role::Owner, last_read_seq: 6 }],
        last_seq: 7,
        last_change: 9,
        last_read_seq: 6,
        unread_count: 1,
        mention_count: 0,
        muted: false,
        last_message: Some(message()),
    }
}

fn chat_json() -> Value {
    json!({
        "id": C1, "kind": "group", "title": "Team", "owner_id": U1, "closed": false,
        "members": [{"user": user_json(), "role": "owner", "last_read_seq": 6}],
        "last_seq": 7, "last_change": 9, "last_read_seq": 6, "unread_count": 1,
        "mention_count": 0, "muted": false, "last_message": message_json()
    })
}

/// Serialises to exactly `expected`, and the text written parses back to the same value.
/// (Parsed from the text, as clients do: a `Value`'s keys are sorted, so it would put a
/// server event's `data` before its `type`, which the decoder refuses: `decode.rs`.)
fn assert_wire<T>(value: T, expected: Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let text = serde_json::to_string(&value).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
    let decoded: T = serde_json::from_str(&text).unwrap();
    assert_eq!(decoded, value);
}

#[test]
fn client_events() {
    let chat_id = ChatId(id(C1));
    assert_wire(
        ClientEvent::SendMessage {
            chat_id,
            client_id: ClientId(id(K1)),
            body: "hi".into(),
            attachment_ids: vec![],
            reply_to: None,
        },
        json!({"type": "send_message", "data": {"chat_id": C1, "client_id": K1, "body": "hi"}}),
    );
    assert_wire(
        ClientEvent::SendMessage {
            chat_id,
            client_id: ClientId(id(K1)),
            body: "yes".into(),
            attachment_ids: vec![],
            reply_to: Some(MessageId(id(M1))),
        },
        json!({"type": "send_message", "data": {"chat_id": C1, "client_id": K1, "body": "yes", "reply_to": M1}}),
    );
    assert_wire(ClientEvent::Typing { chat_id }, json!({"type": "typing", "data": {"chat_id": C1}}));
    assert_wire(
        ClientEvent::MarkRead { chat_id, seq: 3 },
        json!({"type": "mark_read", "data": {"chat_id": C1, "seq": 3}}),
    );
    assert_wire(ClientEvent::Ping { nonce: 42 }, json!({"type": "ping", "data": {"nonce": 42}}));
}

#[test]
fn server_events() {
    let chat_id = ChatId(id(C1));
    let user_id = UserId(id(U1));
    let message_id = MessageId(id(M1));
    let cases = vec![
        (
            ServerEvent::Ready { user: user(), protocol_version: 1 },
            json!({"type": "ready", "data": {"user": user_json(), "protocol_version": 1}}),
        ),
        (
            ServerEvent::MessageCreated { message: message() },
            json!({"type": "message_created", "data": {"message": message_json()}}),
        ),
        (
            ServerEvent::Typing { chat_id, user_id },
            json!({"type": "typing", "data": {"chat_id": C1, "user_id": U1}}),
        ),
        (
            ServerEvent::Presence { user_id, online: true, last_seen: None },
            json!({"type": "presence", "data": {"user_id": U1, "online": true}}),
        ),
        (
            ServerEvent::Presence {
                user_id,
                online: false,
                last_seen: Some(Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()),
            },
            json!({"type": "presence", "data": {"user_id": U1, "online": false, "last_seen": "2026-01-02T03:04:05Z"}}),
        ),
        (
            ServerEvent::ChatCreated { chat: chat() },
            json!({"type": "chat_created", "data": {"chat": chat_json()}}),
        ),
        (
            ServerEvent::ChatUpdated { chat: chat() },
            json!({"type": "chat_updated", "data": {"chat": chat_json()}}),
        ),
        (
            ServerEvent::MemberAdded { chat_id, user: user() },
            json!({"type": "member_added", "data": {"chat_id": C1, "user": user_json()}}),
        ),
        (
            ServerEvent::MemberRemoved { chat_id, user_id },
            json!({"type": "member_removed", "data": {"chat_id": C1, "user_id": U1}}),
        ),
        (
            ServerEvent::Read { chat_id, user_id, seq: 5 },
            json!({"type": "read", "data": {"chat_id": C1, "user_id": U1, "seq": 5}}),
        ),
        (
            ServerEvent::MessageUpdated { message: message() },
            json!({"type": "message_updated", "data": {"message": message_json()}}),
        ),
        (
            ServerEvent::MessageDeleted { chat_id, message_id, change_seq: 12 },
            json!({"type": "message_deleted", "data": {"chat_id": C1, "message_id": M1, "change_seq": 12}}),
        ),
        (
            ServerEvent::ReactionsChanged {
                chat_id,
                message_id,
                reactions: vec![Reaction { emoji: "👍".into(), user_ids: vec![user_id] }],
                change_seq: 13,
            },
            json!({"type": "reactions_changed", "data": {
                "chat_id": C1, "message_id": M1, "reactions": [{"emoji": "👍", "user_ids": [U1]}], "change_seq": 13
            }}),
        ),
        (
            ServerEvent::Error(ErrorEvent {
                code: ErrorCode::Validation,
                message: "message must not be empty".into(),
                client_id: Some(ClientId(id(K1))),
            }),
            json!({"type": "error", "data": {
                "code": "validation", "message": "message must not be empty", "client_id": K1
            }}),
        ),
        (
            ServerEvent::Error(ErrorEvent {
                code: ErrorCode::NotFound,
                message: "no".into(),
                client_id: None,
            }),
            json!({"type": "error", "data": {"code": "not_found", "message": "no"}}),
        ),
        (ServerEvent::Pong { nonce: 9 }, json!({"type": "pong", "data": {"nonce": 9}})),
        (
            ServerEvent::MuteChanged { chat_id, muted: true },
            json!({"type": "mute_changed", "data": {"chat_id": C1, "muted": true}}),
        ),
        (
            ServerEvent::UserUpdated { user: user() },
            json!({"type": "user_updated", "data": {"user": user_json()}}),
        ),
        (ServerEvent::SessionExpired {}, json!({"type": "session_expired", "data": {}})),
        (ServerEvent::Resync {}, json!({"type": "resync", "data": {}})),
    ];
    for (event, expected) in cases {
        assert_wire(event, expected);
    }
}

#[test]
fn error_body_and_create_chat_requests() {
    assert_wire(
        ErrorBody { error: ApiError::new(ErrorCode::RateLimited, "slow down") },
        json!({"error": {"code": "rate_limited", "message": "slow down"}}),
    );
    assert_wire(
        CreateChatRequest::Direct { user_id: UserId(id(U1)) },
        json!({"kind": "direct", "user_id": U1}),
    );
    assert_wire(
        CreateChatRequest::Group { title: "Team".into(), member_ids: vec![UserId(id(U1))] },
        json!({"kind": "group", "title": "Team", "member_ids": [U1]}),
    );
    assert_wire(ErrorCode::MethodNotAllowed, json!("method_not_allowed"));
}

/// JSON Schema's `integer` includes `7.0`, so the API document promises it is accepted.
#[test]
fn a_read_position_may_be_spelled_as_an_integral_float() {
    let seq = |json: &str| serde_json::from_str::<MarkReadRequest>(json).map(|r| r.seq);
    assert_eq!(seq(r#"{"seq": 7}"#).unwrap(), 7);
    assert_eq!(seq(r#"{"seq": 7.0}"#).unwrap(), 7);
    assert_eq!(seq(r#"{"seq": -0.0}"#).unwrap(), 0);
    assert_eq!(seq(r#"{"seq": 9007199254740992.0}"#).unwrap(), 1 << 53);
    for bad in
        [r#"{"seq": 7.5}"#, r#"{"seq": 1e19}"#, r#"{"seq": -1e19}"#, r#"{"seq": "7"}"#, r#"{"seq": null}"#]
    {
        assert!(seq(bad).is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_value(MarkReadRequest { seq: 7 }).unwrap(), json!({"seq": 7}));
}

#[test]
fn unknown_or_malformed_client_events_are_rejected() {
    assert!(serde_json::from_str::<ClientEvent>(r#"{"type":"launch_missiles","data":{}}"#).is_err());
    assert!(serde_json::from_str::<ClientEvent>(r#"{"type":"typing","data":{"chat_id":"nope"}}"#).is_err());
    assert!(serde_json::from_str::<ClientEvent>("not json").is_err());
}

fn bob() -> User {
    User { id: UserId(id(U2)), username: "bob".into(), display_name: "Bob".into() }
}

fn bob_json() -> Value {
    json!({"id": U2, "username": "bob", "display_name": "Bob"})
}

/// A system message: an empty body and the change it records in `system`, tagged by `kind`.
#[test]
fn system_messages() {
    let renamed = Message {
        body_html: String::new(),
        body: String::new(),
        system: Some(SystemEvent::Renamed { by: user(), old_title: "Team".into(), title: "Crew".into() }),
        ..message()
    };
    let mut expected = message_json();
    expected["body"] = json!("");
    expected["body_html"] = json!("");
    expected["system"] = json!({"kind": "renamed", "by": user_json(), "old_title": "Team", "title": "Crew"});
    assert_wire(renamed, expected);

    let cases = vec![
        (
            SystemEvent::MemberAdded { by: user(), user: bob() },
            json!({"kind": "member_added", "by": user_json(), "user": bob_json()}),
            "Alice added Bob",
        ),
        (
            SystemEvent::MemberRemoved { by: user(), user: bob() },
            json!({"kind": "member_removed", "by": user_json(), "user": bob_json()}),
            "Alice removed Bob",
        ),
        (
            SystemEvent::MemberLeft { user: bob() },
            json!({"kind": "member_left", "user": bob_json()}),
            "Bob left",
        ),
        (
            SystemEvent::Closed { by: user() },
            json!({"kind": "closed", "by": user_json()}),
            "Alice closed the group",
        ),
        (
            SystemEvent::Reopened { by: user() },
            json!({"kind": "reopened", "by": user_json()}),
            "Alice reopened the group",
        ),
        (
            SystemEvent::OwnershipTransferred { by: user(), user: bob() },
            json!({"kind": "ownership_transferred", "by": user_json(), "user": bob_json()}),
            "Alice made Bob the owner",
        ),
        (
            SystemEvent::Renamed { by: user(), old_title: "Team".into(), title: "Crew".into() },
            json!({"kind": "renamed", "by": user_json(), "old_title": "Team", "title": "Crew"}),
            "Alice renamed the group to \u{201c}Crew\u{201d}",
        ),
    ];
    for (event, expected, text) in cases {
        assert_eq!(event.describe(), text);
        assert_wire(event, expected);
    }
}

/// Pages cached by an older server lack the newer fields: they still parse.
#[test]
fn messages_without_the_newer_fields_still_parse() {
    let mut old = message_json();
    let fields = old.as_object_mut().unwrap();
    for newer in ["system", "reply_to", "mentions"] {
        fields.remove(newer);
    }
    assert_eq!(serde_json::from_value::<Message>(old).unwrap(), message());
}

/// A reply carries its parent's quote; the request names the parent by id.
#[test]
fn replies() {
    const M2: &str = "00000000-0000-4000-8000-0000000000a2";
    let reply = Message {
        id: MessageId(id(M2)),
        seq: 8,
        reply_to: Some(ReplyPreview {
            message_id: MessageId(id(M1)),
            seq: 7,
            sender_id: UserId(id(U1)),
            excerpt: "hi".into(),
            deleted: false,
        }),
        ..message()
    };
    let mut expected = message_json();
    expected["id"] = json!(M2);
    expected["seq"] = json!(8);
    expected["reply_to"] =
        json!({"message_id": M1, "seq": 7, "sender_id": U1, "excerpt": "hi", "deleted": false});
    assert_wire(reply, expected);

    assert_wire(
        SendMessageRequest {
            client_id: ClientId(id(K1)),
            body: "yes".into(),
            attachment_ids: vec![],
            reply_to: Some(MessageId(id(M1))),
        },
        json!({"client_id": K1, "body": "yes", "reply_to": M1}),
    );
    assert_wire(
        MessagePage { messages: vec![], has_more: true, has_newer: Some(false) },
        json!({"messages": [], "has_more": true, "has_newer": false}),
    );
    assert_wire(
        MessagePage { messages: vec![], has_more: false, has_newer: None },
        json!({"messages": [], "has_more": false}),
    );
}

/// A mention: the mentioned members' ids ride with the message, the highlight in its HTML.
#[test]
fn mentions_and_mute() {
    let mentioning = Message {
        body: "hi @bob".into(),
        body_html: format!(
            r#"<p>hi <span class="mention" data-user-id="{U2}">@bob</span></p>
"#
        ),
        mentions: vec![UserId(id(U2))],
        ..message()
    };
    let mut expected = message_json();
    expected["body"] = json!("hi @bob");
    expected["body_html"] = json!(format!(
        r#"<p>hi <span class="mention" data-user-id="{U2}">@bob</span></p>
"#
    ));
    expected["mentions"] = json!([U2]);
    assert_wire(mentioning, expected);

    let mut mine = chat_json();
    mine["mention_count"] = json!(2);
    mine["muted"] = json!(true);
    assert_wire(Chat { mention_count: 2, muted: true, ..chat() }, mine);
    assert_wire(MuteRequest { muted: true }, json!({"muted": true}));
}
