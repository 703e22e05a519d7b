"""The Channels tutorial chat consumer on RedisChannelLayer, as the comparison server for bench/."""
