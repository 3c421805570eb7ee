library(httr)
Sys.setenv(OPENAI_API_KEY = "sk-Qx7Lm2Vb9Rt4Kp8Ns3Wd6Hy1Jc5Fg0AeZuTiBoXnMq")
key <- Sys.getenv("API_KEY")
con <- dbConnect(RPostgres::Postgres(), password = Sys.getenv("DB_PASSWORD"))
model_hash <- "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
