#!/bin/sh
# Test credential plugin that never answers in time.
sleep 30
echo '{}'
