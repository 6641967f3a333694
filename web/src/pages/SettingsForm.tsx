// The seller's store settings: one form per category, its fields read from the body schema of
// `PUT /settings/{category}` in the server's OpenAPI document (so a field added on the server shows up
// here, with its enum, type and nullability). Values come from `GET /settings`; `settings:*_updated`
// invalidates ["settings"], so a save in another tab shows here too.

import { useState } from "preact/hooks";

import { api } from "../api";
import { useQuery } from "../store";
import type { AllSettings, SettingsValues } from "../types";
import { ErrorBox, Loaded, toast } from "../ui";

interface Schema {
  $ref?: string;
  anyOf?: Schema[];
  type?: string;
  enum?: string[];
  title?: string;
  pattern?: string;
  properties?: Record<string, Schema>;
  minimum?: number;
  maximum?: number;
  description?: string;
}

interface OpenApi {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

interface Field {
  name: string;
  label: string;
  kind: "enum" | "boolean" | "number" | "color" | "text" | "json";
  nullable: boolean;
  options: string[];
  min?: number;
  max?: number;
}

function deref(doc: OpenApi, schema: Schema): Schema {
  return schema.$ref ? (doc.components.schemas[schema.$ref.split("/").pop()!] ?? {}) : schema;
}

function fieldsOf(doc: OpenApi, category: string): Field[] | null {
  const body = doc.paths[`/api/v1/settings/${category}`]?.put?.requestBody?.content["application/json"]?.schema;
  if (!body) return null;
  const schema = deref(doc, body);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const nullable = !!raw.anyOf?.some((s) => s.type === "null");
    const inner = raw.anyOf?.find((s) => s.type !== "null") ?? raw;
    const resolved = inner.$ref ? { ...deref(doc, inner), type: "object" } : inner;
    const kind: Field["kind"] = resolved.enum
      ? "enum"
      : resolved.type === "boolean"
        ? "boolean"
        : resolved.type === "integer" || resolved.type === "number"
          ? "number"
          : resolved.type === "string"
            ? resolved.pattern?.startsWith("^#[0-9a-fA-F]{6}") ? "color" : "text"
            : "json";
    return { name, label: raw.title ?? name, kind, nullable, options: resolved.enum ?? [], min: resolved.minimum, max: resolved.maximum };
  });
}

function read(form: HTMLFormElement, field: Field, original: unknown): unknown {
  const input = form.elements.namedItem(field.name) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null;
  if (!input) return original;
  if (field.kind === "boolean") return (input as HTMLInputElement).checked;
  const text = input.value.trim();
  if (text === "") return field.nullable ? null : field.kind === "text" ? "" : original;
  if (field.kind === "number") return Number(text);
  if (field.kind === "json") return JSON.parse(text);
  return input.value;
}

function Input({ field, value, category }: { field: Field; value: unknown; category: string }) {
  const id = `set-${category}-${field.name}`;
  const common = { id, name: field.name, "data-testid": `setting-${category}-${field.name}` };
  let control;
  if (field.kind === "boolean") control = <input type="checkbox" {...common} defaultChecked={value === true} />;
  else if (field.kind === "enum")
    control = (
      <select {...common} defaultValue={value == null ? "" : String(value)}>
        {field.nullable && <option value="">—</option>}
        {field.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  else if (field.kind === "number") control = <input type="number" {...common} min={field.min} max={field.max} defaultValue={value == null ? "" : String(value)} />;
  else if (field.kind === "color") control = <input type="color" {...common} defaultValue={String(value ?? "#000000")} />;
  else if (field.kind === "json") control = <textarea {...common} rows={3} defaultValue={value == null ? "" : JSON.stringify(value, null, 1)} spellcheck={false} />;
  else control = <input type="text" {...common} defaultValue={value == null ? "" : String(value)} autocomplete="off" />;
  return (
    <div class={field.kind === "boolean" ? "field check" : "field"}>
      <label for={id}>
        {field.label}
        {field.kind === "json" && <span class="muted small"> (JSON)</span>}
      </label>
      {control}
    </div>
  );
}

function CategoryForm({ doc, category, values }: { doc: OpenApi; category: string; values: SettingsValues }) {
  const fields = fieldsOf(doc, category);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!fields) return <p class="muted">No form for {category}.</p>;
  const save = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setError(null);
    setBusy(true);
    try {
      const body = Object.fromEntries(fields.map((f) => [f.name, read(form, f, values[f.name])]));
      await api(`/settings/${category}`, { method: "PUT", body });
      toast(`Saved ${category.replace("_", " ")} settings`, { kind: "success", testid: "settings-saved" });
    } catch (e) {
      setError(e instanceof SyntaxError ? new Error(`A JSON field is not valid JSON: ${e.message}`) : e);
    } finally {
      setBusy(false);
    }
  };
  return (
    // Keyed by the values: a save elsewhere (another tab, a colleague) shows up in the form.
    <form key={JSON.stringify(values)} class="settings-form" onSubmit={save} data-testid={`settings-form-${category}`}>
      {fields.map((f) => (
        <Input key={f.name} field={f} value={values[f.name]} category={category} />
      ))}
      <ErrorBox error={error} testid="settings-error" />
      <button type="submit" class="primary" disabled={busy} data-testid={`settings-save-${category}`}>
        Save {category.replace("_", " ")}
      </button>
    </form>
  );
}

export function SettingsPanel() {
  const settings = useQuery<AllSettings>(["settings"], () => api("/settings"));
  const doc = useQuery<OpenApi>(["openapi"], () => fetch("/api/v1/openapi.json").then((r) => r.json() as Promise<OpenApi>));
  const [category, setCategory] = useState("store_status");
  return (
    <Loaded query={settings}>
      {(all) => {
        const categories = Object.keys(all).filter((k) => k !== "seller_id");
        const values = all[category] ?? {};
        return (
          <div class="settings">
            <div class="field">
              <label for="settings-category">Category</label>
              <select id="settings-category" data-testid="settings-category" value={category} onChange={(e) => setCategory((e.currentTarget as HTMLSelectElement).value)}>
                {categories.map((c) => (
                  <option key={c} value={c}>
                    {c.replace("_", " ")}
                  </option>
                ))}
              </select>
            </div>
            <Loaded query={doc}>{(d) => <CategoryForm doc={d} category={category} values={values} />}</Loaded>
          </div>
        );
      }}
    </Loaded>
  );
}
