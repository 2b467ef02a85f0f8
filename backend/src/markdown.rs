//! Message bodies are Markdown; clients get them rendered as a safe HTML subset
//! (`Message::body_html`). pulldown-cmark parses; raw HTML in the source is shown as text,
//! never passed through; ammonia then keeps only whitelisted tags and attributes and
//! http(s)/mailto links, which open in a new tab with `rel="noopener noreferrer"`. No
//! script in a message can run (issue: "No script in a message ... ever runs").
//!
//! `@username`s of the chat's members become `<span class="mention" data-user-id="…">`,
//! except in code; rendering says whom a body mentions, so the highlight and the stored
//! mentions always agree.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use confab_shared::limits::REPLY_EXCERPT_MAX;
use confab_shared::mentions;
use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, TextMergeStream};
use uuid::Uuid;

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "em",
        "strong",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "span",
    ]
    .into_iter()
    .collect();
    let attributes: HashMap<&str, HashSet<&str>> = [
        ("a", ["href"].into_iter().collect()),
        ("ol", ["start"].into_iter().collect()),
        ("span", ["data-user-id"].into_iter().collect()),
    ]
    .into_iter()
    .collect();
    let classes: HashMap<&str, HashSet<&str>> =
        [("span", ["mention"].into_iter().collect())].into_iter().collect();
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(tags)
        .tag_attributes(attributes)
        .allowed_classes(classes)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank");
    builder
});

/// Whom a body may mention: the chat's members by lower-case username.
pub type Directory = HashMap<String, Uuid>;

/// A rendered body: its safe HTML and the members it mentions, each once, sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub mentions: Vec<Uuid>,
}

/// The safe HTML for a message body, with the mentions of `members` marked.
pub fn render(body: &str, members: &Directory) -> Rendered {
    let options = Options::ENABLE_STRIKETHROUGH;
    let plain = Parser::new_ext(body, options).map(|event| match event {
        // Raw HTML is shown as what it is: text.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        // Images would load remote content into everyone's browser: link to them instead.
        Event::Start(Tag::Image { dest_url, title, id, .. }) => {
            Event::Start(Tag::Link { link_type: pulldown_cmark::LinkType::Inline, dest_url, title, id })
        }
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut events = Vec::new();
    let mut mentioned = Vec::new();
    let mut in_code_block = false;
    for event in TextMergeStream::new(plain) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code_block = true,
            Event::End(TagEnd::CodeBlock) => in_code_block = false,
            Event::Text(text) if !in_code_block => {
                mark_mentions(text, members, &mut mentioned, &mut events);
                continue;
            }
            _ => {}
        }
        events.push(event);
    }
    let mut html = String::with_capacity(body.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    mentioned.sort_unstable();
    mentioned.dedup();
    Rendered { html: SANITIZER.clean(&html).to_string(), mentions: mentioned }
}

/// `text` as events, each mention of a member as a highlighted span.
fn mark_mentions<'a>(
    text: CowStr<'a>,
    members: &Directory,
    mentioned: &mut Vec<Uuid>,
    out: &mut Vec<Event<'a>>,
) {
    let found: Vec<(usize, usize, Uuid)> = mentions::find(&text)
        .filter_map(|m| members.get(&m.username.to_ascii_lowercase()).map(|id| (m.start, m.end, *id)))
        .collect();
    if found.is_empty() {
        out.push(Event::Text(text));
        return;
    }
    let mut rest = 0;
    for (start, end, id) in found {
        out.push(Event::Text(text[rest..start].to_owned().into()));
        // The name is `A-Z a-z 0-9 _` only (`mentions::find`): nothing to escape.
        let span = format!(r#"<span class="mention" data-user-id="{id}">{}</span>"#, &text[start..end]);
        out.push(Event::InlineHtml(span.into()));
        mentioned.push(id);
        rest = end;
    }
    out.push(Event::Text(text[rest..].to_owned().into()));
}

/// A body as a reply quotes it: its text without Markdown, on one line, at most
/// [`REPLY_EXCERPT_MAX`] characters (a cut one ends in `…`).
pub fn excerpt(body: &str) -> String {
    let mut text = String::with_capacity(body.len().min(4 * REPLY_EXCERPT_MAX));
    for event in Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            Event::End(end) if ends_a_block(end) => text.push(' '),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let line = words.join(" ");
    if line.chars().count() <= REPLY_EXCERPT_MAX {
        return line;
    }
    let mut cut: String = line.chars().take(REPLY_EXCERPT_MAX - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// Where the text of two blocks would run together without a space.
fn ends_a_block(end: TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::BlockQuote(_) | TagEnd::CodeBlock | TagEnd::Item
    )
}

#[cfg(test)]
mod tests {
    use super::{Directory, excerpt};

    fn render(body: &str) -> String {
        super::render(body, &Directory::new()).html
    }

    #[test]
    fn renders_the_safe_subset() {
        assert_eq!(
            render("**bold** _it_ ~~gone~~ `code`"),
            "<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>code</code></p>\n"
        );
        assert!(render("- a\n- b").contains("<ul>\n<li>a</li>\n<li>b</li>\n</ul>"));
    }

    #[test]
    fn links_open_safely_and_only_with_safe_schemes() {
        let html = render("[site](https://example.com)");
        assert!(html.contains(r#"href="https://example.com""#), "{html}");
        assert!(html.contains(r#"rel="noopener noreferrer""#), "{html}");
        assert!(html.contains(r#"target="_blank""#), "{html}");
        let evil = render("[click](javascript:alert(1))");
        assert!(!evil.contains("javascript"), "{evil}");
    }

    #[test]
    fn no_markup_from_the_source_survives_as_markup() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "![x](https://evil.example/pixel.png)",
            "<iframe src=//evil.example>",
        ] {
            let html = render(attack);
            for forbidden in ["<script", "<img", "<iframe", "<a href=\"javascript"] {
                assert!(!html.contains(forbidden), "{attack:?} rendered as {html:?}");
            }
        }
        assert!(render("<b>hi</b>").contains("&lt;b&gt;hi&lt;/b&gt;"));
    }

    #[test]
    fn an_excerpt_is_the_plain_text_on_one_line() {
        assert_eq!(excerpt("**Ship** it _today_,\nsee `main`"), "Ship it today, see main");
        assert_eq!(excerpt("# Plan\n\n- one\n- two\n\n> quoted"), "Plan one two quoted");
        assert_eq!(excerpt("[the site](https://example.com) <b>raw</b>"), "the site <b>raw</b>");
        assert_eq!(excerpt(""), "");
    }

    #[test]
    fn a_long_excerpt_is_cut_with_an_ellipsis() {
        let long = "word ".repeat(50);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), super::REPLY_EXCERPT_MAX, "{cut}");
        assert!(cut.ends_with("word…"), "{cut}");
        let exact = "é".repeat(super::REPLY_EXCERPT_MAX);
        assert_eq!(excerpt(&exact), exact, "exactly the maximum is not cut");
    }

    #[test]
    fn mentions_of_members_are_marked_outside_code_and_listed() {
        let bob = uuid::Uuid::from_u128(2);
        let dave = uuid::Uuid::from_u128(4);
        let members: Directory = [("bob".to_owned(), bob), ("dave".to_owned(), dave)].into_iter().collect();
        let rendered =
            super::render("hi @Bob and @carol, **@dave** @bob\n\n`@dave` and\n\n    @dave in code", &members);
        let span = |id, name| format!(r#"<span class="mention" data-user-id="{id}">@{name}</span>"#);
        assert_eq!(
            rendered.html,
            format!(
                "<p>hi {} and @carol, <strong>{}</strong> {}</p>\n<p><code>@dave</code> and</p>\n<pre><code>@dave in code</code></pre>\n",
                span(bob, "Bob"),
                span(dave, "dave"),
                span(bob, "bob")
            )
        );
        assert_eq!(rendered.mentions, vec![bob, dave]);
        assert!(super::render("`@dave`", &members).mentions.is_empty(), "code mentions nobody");
    }

    #[test]
    fn only_the_servers_own_spans_survive() {
        let html =
            render(r#"<span class="mention" data-user-id="x">@admin</span> [a](https://x.example "t")"#);
        assert!(!html.contains("<span"), "{html}");
        let members: Directory = [("bob_smith".to_owned(), uuid::Uuid::nil())].into_iter().collect();
        let rendered = super::render("cc @bob_smith_ and @bob_smith", &members);
        assert_eq!(rendered.html.matches("<span class=\"mention\"").count(), 1, "{}", rendered.html);
    }
}
