"""A FastAPI service as a user would write it, served by uvicorn over
HTTPS: Python's ssl module decrypts from memory buffers, after asyncio has
read the socket, so no syscall runs inside SSL_read_ex."""
from fastapi import FastAPI, HTTPException

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}


@app.get("/maintenance")
def maintenance():
    raise HTTPException(status_code=503, detail="down for maintenance")
