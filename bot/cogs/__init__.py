"""The Discord front end, one cog per feature, each an extension loaded by RiderBot.setup_hook:

* ``ask``    /ask, mentions and DMs, the "Ask riderbot" message menu
* ``watch``  watched channels (answers unprompted, only when sure)
* ``cards``  /license, /compare, /topics and /help
* ``config`` /config watch | unwatch | modrole | logchannel | show (moderators)
* ``review`` /review list | show | resolve | dismiss | export (moderators), the log channel
* ``kb``     /kb alias | edit | reload | history (moderators): validated, live knowledge edits
* ``privacy`` /privacy forget (anyone) | purge (moderators), the daily retention task
* ``stats``  /stats (moderators)

The other modules here are shared glue, not extensions: ``answering`` (question in, store around the
reply, the limiter classes), ``views`` (``render`` and the answer buttons), ``lookup`` (option names
through the matcher's resolver; autocomplete ranking), ``checks`` (moderators), ``modlog`` (the log
channel). Imports go one way: cogs -> these modules -> bot.client / engine / rendering; bot.client
imports nothing from here. Each cog owns its limiters and registers its persistent buttons in
``cog_load``. Cogs only glue: matching is the engine's, embeds are bot.rendering.embeds'.
"""
