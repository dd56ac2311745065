"""The WhatsApp Cloud API channel: the webhook (`channel`), the Graph API
door (`client`), notifications to events (`parse`), messages to buttons,
lists and text (`render`) and who is who (`identity`).
"""
