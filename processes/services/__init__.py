"""Business rules, one typed function per verb (``<thing>_<action>``); views, commands and tasks call these."""
