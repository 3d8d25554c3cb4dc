// Shared by the OCPP nodes' edit dialogs (served by Node-RED at
// resources/@ocpp-rs/node-red-ocpp/editor.js): validators and command lists.
window.OcppEditor = window.OcppEditor || (function () {
  // A number from min to max, or empty for the default.
  function range(min, max) {
    return function (v, opt) {
      if (v === '' || v === undefined) return true;
      const n = Number(v);
      return Number.isFinite(n) && n >= min && n <= max ? true : opt ? `a number from ${min} to ${max}` : false;
    };
  }
  // Empty, or JSON text (a node's Command params).
  function json(v, opt) {
    if (!v || String(v).trim() === '') return true;
    try {
      JSON.parse(v);
      return true;
    } catch (e) {
      return opt ? 'Command params must be JSON: ' + e.message : false;
    }
  }
  // Fills a <select> with "<none>", groups of actions, and the saved value if it is not among them.
  function fillCommands(select, groups, saved) {
    select.append($('<option>').val('').text('<none>'));
    const known = [];
    for (const [label, values] of Object.entries(groups)) {
      const target = label ? $('<optgroup>').attr('label', label).appendTo(select) : select;
      values.forEach((v) => {
        known.push(v);
        target.append($('<option>').val(v).text(v));
      });
    }
    if (saved && !known.includes(saved)) select.append($('<option>').val(saved).text(saved + ' (from the flow)'));
    select.val(saved || '');
  }
  const COMMANDS = {
    csToCp15: ['CancelReservation', 'ChangeAvailability', 'ChangeConfiguration', 'ClearCache', 'DataTransfer', 'GetConfiguration', 'GetDiagnostics',
      'GetLocalListVersion', 'RemoteStartTransaction', 'RemoteStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList', 'UnlockConnector', 'UpdateFirmware'],
    csToCp16Only: ['ClearChargingProfile', 'GetCompositeSchedule', 'SetChargingProfile', 'TriggerMessage'],
    cpToCs: ['Authorize', 'BootNotification', 'DataTransfer', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'Heartbeat',
      'MeterValues', 'StartTransaction', 'StatusNotification', 'StopTransaction'],
  };
  COMMANDS.csToCp16 = COMMANDS.csToCp15.concat(COMMANDS.csToCp16Only).sort();
  return { range, json, fillCommands, COMMANDS };
})();
