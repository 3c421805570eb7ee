// upload results to the payments dashboard
const stripe = require('stripe')('rk_live_I7SrZ9Nmx8Dg42Fe3nDGCGUKRnMxwJ');
fetch(url, { headers: { Authorization: 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiAiMTMyNSIsICJuYW1lIjogIkFuYSBGaWN0aW9uYWwiLCAiaWF0IjogMTcwMDAwMDAwMH0.ALPhjlQiyhAAI5P9fOZd60dCj0RyiSOSX9yKCvRl0Jv' } });
const retries = 3;
const api = process.env.API_URL;
