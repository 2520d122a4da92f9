"""What X's API costs, in one place: the pay-per-use price table and the rate limits of each access tier.

Source and date (update both together when X changes them): X's developer documentation,
"pay-per-usage pricing" and the rate-limit tables of the v2 endpoints, as read for influgraph
issue 15 on 2026-12-02. Since then X sells API access pay-per-use with prepaid credits:

- reads are charged per resource returned: $0.005 per post, $0.010 per user, and $0.010 per
  follower or following entry (a user object too);
- a resource fetched again within the same UTC day is charged once;
- a pay-per-use app may read at most 2,000,000 posts a month;
- the fixed Basic and Pro tiers are closed to new sign-ups; the self-serve (pay-per-use) tier
  allows recent search 60 requests / 15 min and followers or following 15 requests / 15 min.

Every number here can be overridden: a query's `[prices]` table (`post`, `user`), the crawl's
`prices` parameter (the command line's `--price KIND=USD`), and the tier by `[crawl] tier` or
the `tier` parameter. Bluesky's AppView and Mastodon instances charge nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import BadInput, is_number

__all__ = ["PriceTable", "PRICES", "TIERS", "DEFAULT_TIER", "price_table", "tier_limits", "query_length"]

SOURCE = "X developer documentation, pay-per-usage pricing and v2 rate limits (read 2026-12-02, influgraph issue 15)"
DATE = "2026-12-02"
DEFAULT_TIER = "self-serve"


@dataclass(frozen=True)
class PriceTable:
    """Prices per resource returned (`per_item`: kind -> money), the billing rules, and where they come from."""

    per_item: dict[str, float] = field(default_factory=lambda: {"post": 0.005, "user": 0.010})
    currency: str = "USD"
    monthly_post_cap: int = 2_000_000
    dedup: str = "a resource fetched again within the same UTC day is charged once"
    date: str = DATE
    source: str = SOURCE

    def summary(self) -> dict:
        """JSON-ready table."""
        return {"per_item": dict(self.per_item), "currency": self.currency, "monthly_post_cap": self.monthly_post_cap,
                "dedup": self.dedup, "date": self.date, "source": self.source}


PRICES = PriceTable()

# tier -> (recent search query length, {endpoint template: (requests, window minutes)}); endpoints not named: 300/15
TIERS: dict[str, tuple[int, dict[str, tuple[int, int]]]] = {
    "self-serve": (512, {"/2/tweets/search/recent": (60, 15), "/2/users/:id/followers": (15, 15),
                         "/2/users/:id/following": (15, 15), "/2/tweets/:id/retweeted_by": (75, 15),
                         "/2/tweets/:id/liking_users": (75, 15), "/2/tweets/:id/quote_tweets": (75, 15)}),
    "pro": (4096, {"/2/tweets/search/recent": (450, 15), "/2/users/:id/followers": (15, 15),
                   "/2/users/:id/following": (15, 15), "/2/tweets/:id/retweeted_by": (75, 15),
                   "/2/tweets/:id/liking_users": (75, 15), "/2/tweets/:id/quote_tweets": (75, 15)}),
    "enterprise": (4096, {"/2/tweets/search/recent": (450, 15), "/2/users/:id/followers": (15, 15),
                          "/2/users/:id/following": (15, 15), "/2/tweets/:id/retweeted_by": (75, 15),
                          "/2/tweets/:id/liking_users": (75, 15), "/2/tweets/:id/quote_tweets": (75, 15)}),
}


def _tier(tier: str | None) -> str:
    name = tier or DEFAULT_TIER
    if name not in TIERS:
        raise BadInput(f"unknown X access tier {name!r}", hint=f"set `tier` to one of {', '.join(TIERS)}", param="tier")
    return name


def query_length(tier: str | None) -> int:
    """The longest recent-search query `tier` accepts (self-serve: 512 characters)."""
    return TIERS[_tier(tier)][0]


def tier_limits(tier: str | None, endpoint: str) -> tuple[int, int]:
    """(requests, window minutes) of `endpoint` (a route template) on `tier`."""
    return TIERS[_tier(tier)][1].get(endpoint, (300, 15))


def price_table(overrides: dict | None = None, base: PriceTable = PRICES) -> PriceTable:
    """`base` with some prices replaced (`overrides`: kind -> money per item, e.g. {"post": 0.004}).

    Parameters
    ----------
    overrides : prices per item for the kinds "post" and "user"; each a number from 0 to 100.
    base : the table to start from [default: `PRICES`].

    Returns
    -------
    PriceTable

    Example
    -------
    >>> price_table({"post": 0.004}).per_item["post"]
    0.004
    """
    prices = dict(base.per_item)
    for kind, value in (overrides or {}).items():
        if kind not in prices:
            raise BadInput(f"unknown price kind {kind!r}", hint=f"price one of {', '.join(prices)}", param="prices")
        if not is_number(value) or not 0 <= value <= 100:
            raise BadInput(f"the price of a {kind} must be a number from 0 to 100, got {value!r}", param="prices")
        prices[kind] = float(value)
    return replace(base, per_item=prices, source=base.source + (" (prices overridden)" if overrides else ""))
