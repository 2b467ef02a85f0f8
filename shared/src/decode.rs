//! Decoding of the two tagged enums the browser reads, [`ServerEvent`] and [`SystemEvent`],
//! written out instead of derived. Their JSON stays exactly what `#[derive(Serialize)]`
//! writes (`shared/tests/wire_format.rs` pins it); only the reading differs.
//!
//! Why: serde's derived decoder for a tagged enum must cope with the tag arriving after
//! the content, so it buffers the content in its private `Content` tree and then decodes
//! every payload type (`Message`, `Chat`, `User`, ...) a second time from that tree. In
//! the WASM bundle those second copies cost 145 KB raw, 30 KB brotli, of a 365 KB
//! download (measured with the derives switched off). The two decoders below never
//! buffer:
//!
//! - a **system event** (`{"kind": "renamed", "by": ..., ...}`) is read into one flat
//!   record with every field optional, in any key order (PostgreSQL's `jsonb`, where
//!   they are stored, reorders keys), then checked against its kind;
//! - a **server event** (`{"type": ..., "data": {...}}`) reads `type` first and then
//!   decodes `data` straight into that variant. The server always writes `type` first
//!   (serde writes fields in declaration order) and clients decode the frame's text, so
//!   an event with `data` first is refused with a clear error rather than buffered.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeSeed, EnumAccess, Error as _, IgnoredAny, IntoDeserializer, MapAccess, VariantAccess,
    Visitor,
};
use serde::{Deserialize, Deserializer};

use crate::api::{Chat, Message, SystemEvent, User};
use crate::ids::{ChatId, MessageId, UserId};
use crate::ws::{ErrorEvent, Reaction, ServerEvent};
use chrono::{DateTime, Utc};

impl<'de> Deserialize<'de> for SystemEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            Renamed,
            MemberAdded,
            MemberRemoved,
            MemberLeft,
            Closed,
            Reopened,
            OwnershipTransferred,
        }
        /// Every field any kind has; which ones must be present depends on `kind`.
        #[derive(Deserialize)]
        struct Flat {
            kind: Kind,
            by: Option<User>,
            user: Option<User>,
            old_title: Option<String>,
            title: Option<String>,
        }
        fn required<T, E: de::Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
            field.ok_or_else(|| E::missing_field(name))
        }

        let Flat { kind, by, user, old_title, title } = Flat::deserialize(deserializer)?;
        Ok(match kind {
            Kind::Renamed => SystemEvent::Renamed {
                by: required(by, "by")?,
                old_title: required(old_title, "old_title")?,
                title: required(title, "title")?,
            },
            Kind::MemberAdded => {
                SystemEvent::MemberAdded { by: required(by, "by")?, user: required(user, "user")? }
            }
            Kind::MemberRemoved => {
                SystemEvent::MemberRemoved { by: required(by, "by")?, user: required(user, "user")? }
            }
            Kind::MemberLeft => SystemEvent::MemberLeft { user: required(user, "user")? },
            Kind::Closed => SystemEvent::Closed { by: required(by, "by")? },
            Kind::Reopened => SystemEvent::Reopened { by: required(by, "by")? },
            Kind::OwnershipTransferred => {
                SystemEvent::OwnershipTransferred { by: required(by, "by")?, user: required(user, "user")? }
            }
        })
    }
}

impl<'de> Deserialize<'de> for ServerEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EventVisitor)
    }
}

/// Reads `{"type": ..., "data": ...}`, `type` first; other keys are ignored.
struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = ServerEvent;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(r#"a server event {"type": ..., "data": {...}}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ServerEvent, A::Error> {
        #[derive(Deserialize)]
        #[serde(field_identifier, rename_all = "lowercase")]
        enum Key {
            Type,
            Data,
            #[serde(other)]
            Other,
        }
        let mut tag: Option<String> = None;
        let mut event = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Type if tag.is_some() => return Err(A::Error::duplicate_field("type")),
                Key::Type => tag = Some(map.next_value()?),
                Key::Data if event.is_some() => return Err(A::Error::duplicate_field("data")),
                Key::Data => {
                    let Some(tag) = tag.as_deref() else {
                        return Err(A::Error::custom("an event's `type` must come before its `data`"));
                    };
                    event = Some(map.next_value_seed(Data { tag })?);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (tag, event) {
            (_, Some(event)) => Ok(event),
            (None, None) => Err(A::Error::missing_field("type")),
            (Some(_), None) => Err(A::Error::missing_field("data")),
        }
    }
}

/// `data`, decoded as the variant `tag` names.
struct Data<'t> {
    tag: &'t str,
}

impl<'de> DeserializeSeed<'de> for Data<'_> {
    type Value = ServerEvent;

    fn deserialize<D: Deserializer<'de>>(self, data: D) -> Result<ServerEvent, D::Error> {
        // `Payload`'s derived decoder is externally tagged: it asks for an enum and is
        // handed `tag` as the variant and `data` as its content, with nothing buffered.
        Payload::deserialize(Variant { tag: self.tag, data }).map(ServerEvent::from)
    }
}

/// An enum whose variant is `tag` and whose content is `data`: just enough of a
/// [`Deserializer`] to feed a derived enum decoder.
struct Variant<'t, D> {
    tag: &'t str,
    data: D,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Variant<'_, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de, D: Deserializer<'de>> EnumAccess<'de> for Variant<'_, D> {
    type Error = D::Error;
    type Variant = Content<D>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Content<D>), D::Error> {
        let tag: StrDeserializer<'_, D::Error> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, Content(self.data)))
    }
}

/// A variant's content, which is `data` itself: a struct variant reads it as a struct,
/// the newtype variant (`error`) as its one value.
struct Content<D>(D);

impl<'de, D: Deserializer<'de>> VariantAccess<'de> for Content<D> {
    type Error = D::Error;

    fn unit_variant(self) -> Result<(), D::Error> {
        IgnoredAny::deserialize(self.0).map(drop)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, D::Error> {
        seed.deserialize(self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct("ServerEvent", fields, visitor)
    }
}

/// [`ServerEvent`]'s variants as serde derives them by default (externally tagged), for
/// [`Data`] to decode into. The conversion below is exhaustive, so a field added to an
/// event and not here fails to compile; `wire_format.rs` decodes every variant.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Payload {
    Ready {
        user: User,
        protocol_version: u32,
    },
    MessageCreated {
        message: Message,
    },
    Typing {
        chat_id: ChatId,
        user_id: UserId,
    },
    Presence {
        user_id: UserId,
        online: bool,
        #[serde(default, deserialize_with = "crate::time::rfc3339_or_null")]
        last_seen: Option<DateTime<Utc>>,
    },
    ChatCreated {
        chat: Chat,
    },
    ChatUpdated {
        chat: Chat,
    },
    MemberAdded {
        chat_id: ChatId,
        user: User,
    },
    MemberRemoved {
        chat_id: ChatId,
        user_id: UserId,
    },
    Read {
        chat_id: ChatId,
        user_id: UserId,
        seq: i64,
    },
    MessageUpdated {
        message: Message,
    },
    MessageDeleted {
        chat_id: ChatId,
        message_id: MessageId,
        #[serde(default)]
        change_seq: i64,
    },
    ReactionsChanged {
        chat_id: ChatId,
        message_id: MessageId,
        reactions: Vec<Reaction>,
        #[serde(default)]
        change_seq: i64,
    },
    Error(ErrorEvent),
    Pong {
        nonce: u64,
    },
    UserUpdated {
        user: User,
    },
    MuteChanged {
        chat_id: ChatId,
        muted: bool,
    },
    SessionExpired {},
    Resync {},
}

impl From<Payload> for ServerEvent {
    fn from(payload: Payload) -> Self {
        match payload {
            Payload::Ready { user, protocol_version } => ServerEvent::Ready { user, protocol_version },
            Payload::MessageCreated { message } => ServerEvent::MessageCreated { message },
            Payload::Typing { chat_id, user_id } => ServerEvent::Typing { chat_id, user_id },
            Payload::Presence { user_id, online, last_seen } => {
                ServerEvent::Presence { user_id, online, last_seen }
            }
            Payload::ChatCreated { chat } => ServerEvent::ChatCreated { chat },
            Payload::ChatUpdated { chat } => ServerEvent::ChatUpdated { chat },
            Payload::MemberAdded { chat_id, user } => ServerEvent::MemberAdded { chat_id, user },
            Payload::MemberRemoved { chat_id, user_id } => ServerEvent::MemberRemoved { chat_id, user_id },
            Payload::Read { chat_id, user_id, seq } => ServerEvent::Read { chat_id, user_id, seq },
            Payload::MessageUpdated { message } => ServerEvent::MessageUpdated { message },
            Payload::MessageDeleted { chat_id, message_id, change_seq } => {
                ServerEvent::MessageDeleted { chat_id, message_id, change_seq }
            }
            Payload::ReactionsChanged { chat_id, message_id, reactions, change_seq } => {
                ServerEvent::ReactionsChanged { chat_id, message_id, reactions, change_seq }
            }
            Payload::Error(error) => ServerEvent::Error(error),
            Payload::Pong { nonce } => ServerEvent::Pong { nonce },
            Payload::UserUpdated { user } => ServerEvent::UserUpdated { user },
            Payload::MuteChanged { chat_id, muted } => ServerEvent::MuteChanged { chat_id, muted },
            Payload::SessionExpired {} => ServerEvent::SessionExpired {},
            Payload::Resync {} => ServerEvent::Resync {},
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn alice() -> serde_json::Value {
        serde_json::json!({"id": "00000000-0000-4000-8000-000000000001", "username": "alice", "display_name": "Alice"})
    }

    fn error_of<T: for<'de> Deserialize<'de> + fmt::Debug>(text: &str) -> String {
        serde_json::from_str::<T>(text).unwrap_err().to_string()
    }

    #[test]
    fn a_system_event_reads_in_any_key_order_and_names_a_missing_field() {
        // A `Value`'s keys are sorted, as `jsonb` reorders them: `kind` comes after `by`.
        let stored =
            serde_json::json!({"title": "Crew", "old_title": "Team", "kind": "renamed", "by": alice()});
        match serde_json::from_value::<SystemEvent>(stored).unwrap() {
            SystemEvent::Renamed { by, old_title, title } => {
                assert_eq!(
                    (by.username.as_str(), old_title.as_str(), title.as_str()),
                    ("alice", "Team", "Crew")
                );
            }
            other => panic!("{other:?}"),
        }
        let half = format!(r#"{{"kind": "renamed", "by": {}}}"#, alice());
        assert!(error_of::<SystemEvent>(&half).contains("missing field `old_title`"), "{half}");
        assert!(error_of::<SystemEvent>(r#"{"kind": "exploded"}"#).contains("unknown variant `exploded`"));
    }

    #[test]
    fn a_server_event_reads_type_then_data_and_ignores_other_keys() {
        let text = r#"{"type": "pong", "extra": [1, {"x": 2}], "data": {"nonce": 7}}"#;
        assert_eq!(serde_json::from_str::<ServerEvent>(text).unwrap(), ServerEvent::Pong { nonce: 7 });
        let error = r#"{"type": "error", "data": {"code": "forbidden", "message": "no"}}"#;
        assert!(
            matches!(serde_json::from_str::<ServerEvent>(error).unwrap(), ServerEvent::Error(e) if e.message == "no")
        );
    }

    #[test]
    fn a_malformed_server_event_is_an_error_that_says_what_is_wrong() {
        let cases = [
            (r#"{"data": {"nonce": 7}, "type": "pong"}"#, "`type` must come before its `data`"),
            (r#"{"type": "pong"}"#, "missing field `data`"),
            (r#"{"data": {}}"#, "`type` must come before"),
            (r#"{}"#, "missing field `type`"),
            (r#"{"type": "pong", "type": "pong", "data": {"nonce": 1}}"#, "duplicate field `type`"),
            (r#"{"type": "teleport", "data": {}}"#, "unknown variant `teleport`"),
            (r#"{"type": "pong", "data": {"nonce": "seven"}}"#, "invalid type"),
            (r#"["pong", {"nonce": 7}]"#, "invalid type"),
        ];
        for (text, says) in cases {
            let message = error_of::<ServerEvent>(text);
            assert!(message.contains(says), "{text}: {message}");
        }
    }
}
