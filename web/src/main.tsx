// The single-page app: the header, the page for location.pathname, the cart drawer and the toasts.

import { render } from "preact";

import { CartDrawer } from "./cart";
import { Header } from "./header";
import { useEvent } from "./live";
import { Chat } from "./pages/Chat";
import { Home } from "./pages/Home";
import { Kitchen } from "./pages/Kitchen";
import { Ops } from "./pages/Ops";
import { Order } from "./pages/Order";
import { Seller } from "./pages/Seller";
import { SignIn } from "./pages/SignIn";
import { Store } from "./pages/Store";
import { Link, useLocation } from "./router";
import { loadSession } from "./session";
import { Title, Toaster, toast } from "./ui";
import "./styles.css";

function Page({ path }: { path: string }) {
  let match: RegExpMatchArray | null;
  if (path === "/") return <Home />;
  if (path === "/signin") return <SignIn />;
  if (path === "/seller") return <Seller />;
  if (path === "/kitchen") return <Kitchen />;
  if (path === "/chat") return <Chat />;
  if (path === "/ops") return <Ops />;
  if ((match = path.match(/^\/store\/([\w-]{1,64})$/))) return <Store key={match[1]} sellerId={match[1]!} />;
  if ((match = path.match(/^\/orders\/([\w-]{1,64})$/))) return <Order key={match[1]} orderId={match[1]!} />;
  return (
    <>
      <Title>Not found</Title>
      <p>
        Nothing lives at <code>{path}</code>. <Link href="/">See the stores</Link>.
      </p>
    </>
  );
}

function App() {
  const { path } = useLocation();
  useEvent("system:announcement", (e) => toast(`${e.data.title}: ${e.data.body}`, { kind: e.data.level === "info" ? "info" : "warning", testid: "announcement-toast", ms: 12000 }));
  return (
    <>
      <a href="#main" class="skip">
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
      <CartDrawer />
      <Toaster />
    </>
  );
}

render(<App />, document.getElementById("app")!);
void loadSession();
