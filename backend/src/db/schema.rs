// Diesel table definitions, in the form `diesel print-schema` emits for
// the migrations in migrations/. Keep them in step with the migrations.

diesel::table! {
    attachments (id) {
        id -> Uuid,
        chat_id -> Uuid,
        uploader_id -> Uuid,
        message_id -> Nullable<Uuid>,
        filename -> Text,
        content_type -> Text,
        sniffed_type -> Nullable<Text>,
        size -> Int8,
        status -> Text,
        storage_key -> Text,
        thumbnail_key -> Nullable<Text>,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    chat_members (chat_id, user_id) {
        chat_id -> Uuid,
        user_id -> Uuid,
        role -> Text,
        last_read_seq -> Int8,
        joined_at -> Timestamptz,
        muted -> Bool,
    }
}

diesel::table! {
    chats (id) {
        id -> Uuid,
        kind -> Text,
        title -> Nullable<Text>,
        owner_id -> Nullable<Uuid>,
        closed -> Bool,
        last_seq -> Int8,
        direct_low -> Nullable<Uuid>,
        direct_high -> Nullable<Uuid>,
        created_at -> Timestamptz,
        last_activity_at -> Timestamptz,
        last_change -> Int8,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use diesel_full_text_search::Tsvector;

    messages (id) {
        id -> Uuid,
        chat_id -> Uuid,
        seq -> Int8,
        sender_id -> Uuid,
        client_id -> Uuid,
        body -> Text,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
        deleted_at -> Nullable<Timestamptz>,
        change_seq -> Int8,
        body_html -> Text,
        system -> Nullable<Jsonb>,
        reply_to -> Nullable<Uuid>,
        search -> Tsvector,
    }
}

diesel::table! {
    message_mentions (message_id, user_id) {
        message_id -> Uuid,
        user_id -> Uuid,
        chat_id -> Uuid,
        seq -> Int8,
    }
}

diesel::table! {
    message_reactions (message_id, user_id, emoji) {
        message_id -> Uuid,
        user_id -> Uuid,
        emoji -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_attempts (token_hash) {
        token_hash -> Bytea,
        provider -> Text,
        state -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        link_user_id -> Nullable<Uuid>,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Bytea,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        id -> Uuid,
        user_agent -> Text,
        last_used_at -> Timestamptz,
    }
}

diesel::table! {
    user_identities (id) {
        id -> Uuid,
        user_id -> Uuid,
        issuer -> Text,
        subject -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        username -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        disabled -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(attachments -> chats (chat_id));
diesel::joinable!(attachments -> messages (message_id));
diesel::joinable!(attachments -> users (uploader_id));
diesel::joinable!(chat_members -> chats (chat_id));
diesel::joinable!(chat_members -> users (user_id));
diesel::joinable!(message_mentions -> chats (chat_id));
diesel::joinable!(message_mentions -> messages (message_id));
diesel::joinable!(message_mentions -> users (user_id));
diesel::joinable!(message_reactions -> messages (message_id));
diesel::joinable!(messages -> chats (chat_id));
diesel::joinable!(oidc_attempts -> users (link_user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_identities -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    chat_members,
    chats,
    message_mentions,
    message_reactions,
    messages,
    oidc_attempts,
    sessions,
    user_identities,
    users
);
