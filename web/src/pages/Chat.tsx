// `/chat` (`?room=` picks a room): the caller's rooms with unread counts (`chat:room_updated`
// invalidates ["chat", "rooms"]), the open room's messages (`chat:message_created` in `chat:{id}`),
// who is there (presence) and who is typing (`chat:typing`, sent over the socket, never logged).

import { useEffect, useRef, useState } from "preact/hooks";

import { api, post } from "../api";
import { emit, useEvent, usePresence, useRoom } from "../live";
import { navigate, useLocation } from "../router";
import { user } from "../session";
import { invalidate, useObservable, useQuery } from "../store";
import type { ChatRoom, Message, Page, User } from "../types";
import { ErrorBox, Loaded, SignInPrompt, StoreName, Title } from "../ui";

const TYPING_EVERY_MS = 2000; // the server drops more than two a second
const TYPING_SHOWN_MS = 3500;

function RoomName({ room, me }: { room: ChatRoom; me: User }) {
  if (room.subject) return <>{room.subject}</>;
  if (me.role === "buyer") return <StoreName sellerId={room.seller_id} />;
  return <>{room.buyer_name || `Customer ${room.buyer_id.slice(-6)}`}</>;
}

function Conversation({ roomId, me }: { roomId: string; me: User }) {
  const key = ["chat", roomId, "messages"];
  const messages = useQuery<Page<Message>>(key, () => api(`/chat/rooms/${roomId}/messages?limit=50`));
  const room = `chat:${roomId}`;
  useRoom(room, () => invalidate(key));
  const people = usePresence(room);
  const [typing, setTyping] = useState<{ name: string; until: number } | null>(null);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>(null);
  const lastTyped = useRef(0);
  const list = useRef<HTMLOListElement>(null);

  const markRead = () => {
    if (document.visibilityState === "visible") post(`/chat/rooms/${roomId}/read`).catch(() => {});
  };
  useEffect(markRead, [roomId]);
  useEvent("chat:message_created", (e) => {
    if (e.data.room_id !== roomId) return;
    if (e.data.sender_id !== me.id) markRead();
    setTyping(null);
  });
  useEvent("chat:typing", (e) => {
    if (e.data.room !== room || e.data.user.id === me.id) return;
    setTyping({ name: e.data.user.name, until: Date.now() + TYPING_SHOWN_MS });
  });
  useEffect(() => {
    if (!typing) return;
    const timer = setTimeout(() => setTyping(null), typing.until - Date.now());
    return () => clearTimeout(timer);
  }, [typing]);
  const items = messages.data ? [...messages.data.items].reverse() : [];
  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: "nearest" });
  }, [items.length, items[items.length - 1]?.id]);

  const onInput = (value: string) => {
    setDraft(value);
    const now = Date.now();
    if (value && now - lastTyped.current > TYPING_EVERY_MS) {
      lastTyped.current = now;
      emit("chat:typing", { room }).catch(() => {});
    }
  };
  const send = async (event: Event) => {
    event.preventDefault();
    const body = draft.trim();
    if (!body) return;
    setError(null);
    try {
      await post(`/chat/rooms/${roomId}/messages`, { body });
      setDraft("");
      lastTyped.current = 0;
    } catch (e) {
      setError(e);
    }
  };
  const others = (people ?? []).filter((p) => p.id !== me.id);
  return (
    <section class="conversation" aria-label="Conversation">
      <p class="muted small" data-testid="chat-present">
        {others.length ? `Here now: ${others.map((p) => p.name).join(", ")}` : "Nobody else is here right now"}
      </p>
      <Loaded query={messages}>
        {() => (
          <ol class="plain messages" data-testid="chat-messages" ref={list} aria-live="polite" aria-label="Messages">
            {items.length === 0 && <li class="muted">No messages yet. Say hello.</li>}
            {items.map((m) => (
              <li key={m.id} class={m.sender_id === me.id ? "msg mine" : "msg"} data-testid={`message-${m.id}`}>
                <span class="sender">{m.sender_name}</span>
                <span class="body">{m.body}</span>
                <time class="muted small" dateTime={m.created_at}>
                  {new Date(m.created_at).toLocaleTimeString()}
                </time>
              </li>
            ))}
          </ol>
        )}
      </Loaded>
      <p class="typing" data-testid="typing-indicator" aria-live="polite">
        {typing ? `${typing.name} is typing…` : ""}
      </p>
      <form class="compose" onSubmit={send}>
        <label for="chat-input" class="visually-hidden">
          Message
        </label>
        <input id="chat-input" data-testid="chat-input" value={draft} maxLength={4000} autocomplete="off" placeholder="Write a message" onInput={(e) => onInput((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit" class="primary" data-testid="chat-send" disabled={!draft.trim()}>
          Send
        </button>
      </form>
      <ErrorBox error={error} />
    </section>
  );
}

export function Chat() {
  const me = useObservable(user);
  const { params } = useLocation();
  const selected = params.get("room");
  const rooms = useQuery<Page<ChatRoom>>(me ? ["chat", "rooms"] : null, () => api("/chat/rooms?limit=50"));
  if (me === undefined) return null;
  if (!me) return (<><Title>Chat</Title><SignInPrompt what="to chat with a store" /></>);
  return (
    <>
      <Title>Chat</Title>
      <div class="chat">
        <nav class="rooms" aria-label="Chat rooms">
          <Loaded query={rooms}>
            {(page) => (
              <ul class="plain" data-testid="chat-rooms">
                {page.items.length === 0 && <li class="muted">No conversations yet{me.role === "buyer" ? ": open one from a store page." : "."}</li>}
                {page.items.map((r) => (
                  <li key={r.id}>
                    <a
                      href={`/chat?room=${r.id}`}
                      class={r.id === selected ? "room active" : "room"}
                      aria-current={r.id === selected ? "true" : undefined}
                      data-testid={`chat-room-${r.id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/chat?room=${r.id}`);
                      }}
                    >
                      <span class="room-name">
                        <RoomName room={r} me={me} />
                      </span>
                      <span class={r.unread_count ? "count" : "count zero"} data-testid={`chat-unread-${r.id}`} aria-label={`${r.unread_count} unread`}>
                        {r.unread_count}
                      </span>
                      {r.last_message && <span class="excerpt muted small">{r.last_message.sender_name}: {r.last_message.excerpt}</span>}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </Loaded>
        </nav>
        {selected ? <Conversation key={selected} roomId={selected} me={me} /> : <p class="muted">Pick a conversation.</p>}
      </div>
    </>
  );
}
