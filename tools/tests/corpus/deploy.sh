#!/bin/sh
curl -fsS https://deploy:rvQAhk2No3nn2MGz@artifacts.internal/upload -T model.pkl
lftp ftp://data:2yE5lq6C7s@ftp.partner.example/inbox
echo "done"
