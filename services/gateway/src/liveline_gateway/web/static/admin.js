// The admin's screen.
"use strict";

// ---------------------------------------------------------------- admin

async function viewAdmin(main) {
  if (needLogin(main, ["admin"])) return;
  add(main, h("h1", { text: t("admin.title") }));
  const merchantForm = h("form.card", { "aria-labelledby": "am-h" }, h("h2", { id: "am-h", text: t("admin.merchant") }),
    field(t("admin.merchantName"), { name: "name", id: "m-name" }),
    field(t("admin.address"), { name: "address", id: "m-address" }),
    field(t("staff.timezone"), { name: "timezone", value: "Asia/Shanghai", id: "m-timezone" }),
    field(t("admin.contact"), { name: "contact", type: "tel", id: "m-contact" }),
    h("button", { type: "submit", text: t("admin.create") }));
  const staffForm = h("form.card", { "aria-labelledby": "as-h" }, h("h2", { id: "as-h", text: t("admin.staff") }),
    field(t("admin.merchantId"), { name: "merchant_id", id: "s-merchant" }),
    field(t("login.login"), { name: "login", autocomplete: "off", id: "s-login" }),
    field(t("login.password"), { name: "password", type: "password", autocomplete: "new-password", id: "s-password" }),
    h("button", { type: "submit", text: t("admin.create") }));
  bindForm(merchantForm, async (data) => {
    const merchant = await api("POST", "/v1/admin/merchants", { body: {
      name: requireText(data.get("name"), "name"), address: requireText(data.get("address"), "address"),
      timezone: requireText(data.get("timezone"), "timezone"), contact: requireText(data.get("contact"), "contact"),
    } });
    staffForm.querySelector("[name=merchant_id]").value = merchant.merchant_id;
    merchantForm.dataset.created = merchant.merchant_id;
    return t("admin.created", { id: merchant.merchant_id });
  });
  bindForm(staffForm, async (data) => {
    const merchantId = requireText(data.get("merchant_id"), "merchant_id");
    const account = await api("POST", `/v1/admin/merchants/${encodeURIComponent(merchantId)}/staff`, { body: {
      login: requireText(data.get("login"), "login"), password: String(data.get("password") || "") } });
    return t("admin.staffCreated", { login: account.login });
  });
  add(main, h("div.grid.two", {}, merchantForm, staffForm));
}
