"""The Holo-Net: a school's feed of posts, comments, reactions, shares and moderation."""
