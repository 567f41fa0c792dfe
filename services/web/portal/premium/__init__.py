"""Premium: entitlements, the codes that grant them, the gates and the pages around them."""
