//! The untyped route to [`InvokeOptions`]: the reference's `invoke_options` dict, with the keys
//! supabase-py's `FunctionsClient.invoke` reads (`supabase_functions/_async/functions_client.py`):
//! `headers`, `body` (a string is sent as text, anything else as JSON), `method` and `region`.
//! Unknown keys are refused (`responseType` among them: here the response is read as JSON, text
//! or bytes by the method called on it).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::options::{FunctionRegion, HttpMethod, InvokeOptions};

/// supabase-py's `invoke_options`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeOptionsJson {
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    method: Option<HttpMethod>,
    region: Option<FunctionRegion>,
}

impl<'de> Deserialize<'de> for InvokeOptions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = InvokeOptionsJson::deserialize(d)?;
        let mut o = InvokeOptions::new();
        o = match j.body {
            None | Some(Value::Null) => o,
            Some(Value::String(text)) => o.text(text),
            Some(json) => o.body(&json),
        };
        for (name, value) in &j.headers {
            o = o.header(name, value);
        }
        if let Some(e) = &o.error {
            return Err(serde::de::Error::custom(e));
        }
        if let Some(m) = j.method {
            o = o.method(m);
        }
        if let Some(r) = j.region {
            o = o.region(r);
        }
        Ok(o)
    }
}

impl<'de> Deserialize<'de> for FunctionRegion {
    /// From its identifier (`"eu-west-1"`, `"any"`); an identifier this enum does not list is
    /// [`FunctionRegion::Other`], as new regions appear.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Ok(FunctionRegion::from_id(id))
    }
}
