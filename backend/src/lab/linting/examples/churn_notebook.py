#!/usr/bin/env python
# coding: utf-8

# # Customer churn: first look
# Exported from Jupyter (File > Download as > Python).

# In[1]:


import pickle

import pandas as pd
import requests
import yaml


# In[2]:


API_TOKEN = "tok_live_5f2a9c0e"
config = yaml.load(open("config.yaml"))


# In[3]:


# The vendor's certificate is self-signed, so skip the check for now.
answer = requests.get("https://vendor.example/churn.csv", verify=False)
open("/tmp/churn.csv", "wb").write(answer.content)


# In[4]:


df = pd.read_csv("/tmp/churn.csv")
model = pickle.load(open("churn_model.pkl", "rb"))


# In[5]:


threshold = eval(input("Threshold? "))
df[model.predict_proba(df)[:, 1] > threshold].head()
