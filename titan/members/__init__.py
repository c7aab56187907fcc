"""Members: the identity every feature shares. A user, their invite code and referral codes, who
referred whom, and their place on the waitlist. Features (auth, waitlist, referrals, calculator,
pages) build on this package; it imports none of them."""
