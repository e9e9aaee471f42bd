//! Message delivery for officials: per district of the area and gateway, how many SMS went
//! out, arrived, failed or expired in the last 1, 7 or 30 days, with the delivered share.

use askama::Template;

use super::{Con, ConsoleLayout, district_name};
use crate::pages::context::{PageResult, QueryFields};
use crate::services::admin;

/// One row: a district (or "no session") and a gateway (or "not handed over").
struct Row {
    district: String,
    gateway: String,
    total: u64,
    pending: u64,
    sent: u64,
    delivered: u64,
    failed: u64,
    expired: u64,
    /// Delivered share of what was handed over, as `97.5 %`, or empty when nothing was.
    rate: String,
    /// Under 90 % delivered: shown as a warning.
    low: bool,
}

#[derive(Template)]
#[template(path = "console_messages.html")]
struct MessagesPage {
    l: ConsoleLayout,
    days: u32,
    rows: Vec<Row>,
    total: Row,
}

fn rate(sent: u64, delivered: u64, failed: u64) -> (String, bool) {
    let handed = sent + delivered + failed;
    if handed == 0 {
        return (String::new(), false);
    }
    let r = delivered as f64 * 100.0 / handed as f64;
    (format!("{r:.1} %"), r < 90.0)
}

/// `GET /console/messages?days=7`.
pub(super) async fn list(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/messages")?;
    con.section("messages");
    let days = q
        .get("days")
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| [1, 7, 30].contains(d))
        .unwrap_or(7);
    let stats = admin::messages::delivery(&con.state, &who, days).await?;
    let mut total = Row {
        district: con.t.con_msg_total.to_owned(),
        gateway: String::new(),
        total: 0,
        pending: 0,
        sent: 0,
        delivered: 0,
        failed: 0,
        expired: 0,
        rate: String::new(),
        low: false,
    };
    let rows = stats
        .iter()
        .map(|s| {
            total.total += s.total;
            total.pending += s.pending;
            total.sent += s.sent;
            total.delivered += s.delivered;
            total.failed += s.failed;
            total.expired += s.expired;
            let (rate, low) = rate(s.sent, s.delivered, s.failed);
            Row {
                district: s.district_id.map_or_else(
                    || con.t.con_msg_no_session.to_owned(),
                    |d| district_name(&con.state, tika_domain::ids::DistrictId(d)),
                ),
                gateway: s.gateway.clone().unwrap_or_else(|| con.t.con_msg_no_gateway.to_owned()),
                total: s.total,
                pending: s.pending,
                sent: s.sent,
                delivered: s.delivered,
                failed: s.failed,
                expired: s.expired,
                rate,
                low,
            }
        })
        .collect();
    (total.rate, total.low) = rate(total.sent, total.delivered, total.failed);
    con.render(&MessagesPage { l: con.layout.clone(), days, rows, total })
}

#[cfg(test)]
mod tests {
    use super::rate;

    #[test]
    fn the_rate_is_the_delivered_share_of_what_was_handed_over() {
        assert_eq!(rate(0, 0, 0), (String::new(), false));
        assert_eq!(rate(1, 18, 1), ("90.0 %".to_owned(), false));
        assert_eq!(rate(0, 1, 3), ("25.0 %".to_owned(), true));
    }
}
