"""pintu: the chat front door of a regional police unit."""
