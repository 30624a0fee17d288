#!/bin/sh
# The worker: counts the lines of its standard input and reports them with
# the batch size from /etc/worker.conf.
. /etc/worker.conf
n=$(wc -l | tr -d ' ')
echo "$(id -un): $n lines in batches of $BATCH"
