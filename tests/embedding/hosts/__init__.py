"""Host applications' own models, built on Flask-Security's fsqla mixins and the console's."""
