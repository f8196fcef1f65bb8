"""A host application that embeds the console under /console."""
