"""Flask-Security's quickstart application, before and after the console is added.

`before.py` is the application as a team has it today: fsqla v3 models with columns of its
own, `Security(app, datastore)`, roles and permissions, routes guarded by Flask-Security's
decorators. `app.py` is the same application with the console: the models gain the
console's mixins, `SecurityConsole(...)` replaces `Security(...)`, the permissions are
declared. `settings.py` and `views.py` are shared because adoption does not change them.

    flask --app examples.fsqla_quickstart.before seed       # the database as it is today
    flask --app examples.fsqla_quickstart.app console adopt # add what the console needs
    flask --app examples.fsqla_quickstart.app console create-operator ops@me.com
    flask --app examples.fsqla_quickstart.app run --port 5002
"""
