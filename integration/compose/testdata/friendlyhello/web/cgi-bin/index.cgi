#!/bin/sh
# friendlyhello's app.py: greet, name the host, count the visit in redis.
visits=$(wget -qO- http://redis:6379/cgi-bin/incr 2>/dev/null) || visits="<i>cannot connect to Redis, counter disabled</i>"
echo "Content-Type: text/html"
echo
echo "<h3>Hello World!</h3><b>Hostname:</b> $(hostname)<br/><b>Visits:</b> $visits"
