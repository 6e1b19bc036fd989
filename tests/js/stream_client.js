// The official Socket.IO JavaScript client (socket.io-client 4.x) against a live `custos serve`.
// Usage: node stream_client.js <base url> <access token> <device id> <stream_data events to await>
// Prints one JSON line per received event ({"event", "data"}), "READY" once subscribed, then exits 0
// after the awaited stream_data events (1 on a connection error or after 60 s).
"use strict";

const { io } = require("socket.io-client");

const [base, token, deviceId, wanted] = process.argv.slice(2);
const awaited = Number.parseInt(wanted || "1", 10);
const print = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

const socket = io(base, { auth: { token }, transports: ["websocket"], reconnection: false });
let streamed = 0;
let pending = 3; // stream_subscribed, room_joined, pong before READY

const ready = () => {
  pending -= 1;
  if (pending === 0) process.stdout.write("READY\n");
};

socket.onAny((event, data) => {
  print(event, data);
  if (event === "connection_established") {
    socket.emit("subscribe_stream", { stream_id: deviceId });
    socket.emit("join_room", { room: "dashboard_updates" });
    socket.emit("ping");
  } else if (event === "stream_subscribed" || event === "room_joined" || event === "pong") {
    ready();
  } else if (event === "stream_data") {
    streamed += 1;
    if (streamed >= awaited) {
      socket.emit("request_data", { type: "health_data", filters: { device_id: deviceId } });
    }
  } else if (event === "data_response") {
    socket.disconnect();
    process.exit(0);
  }
});

socket.on("connect_error", (error) => {
  print("connect_error", { message: String(error && error.message) });
  process.exit(1);
});

setTimeout(() => {
  print("timeout", { streamed });
  process.exit(1);
}, 60000);
