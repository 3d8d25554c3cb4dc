// Shared by the OCPP nodes' edit dialogs (served by Node-RED at
// resources/@ocpp-rs/node-red-ocpp/editor.js): validators and command lists.
window.OcppEditor = window.OcppEditor || (function () {
  // A number from min to max (a whole one with `integer`), or empty for the default.
  function range(min, max, integer = false) {
    return function (v, opt) {
      if (v === '' || v === undefined) return true;
      const n = Number(v);
      const ok = Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
      return ok ? true : opt ? `a ${integer ? 'whole ' : ''}number from ${min} to ${max}` : false;
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
  // OCPP 2.0.1 (the action names of OCA's JSON schemas, by who starts them).
  COMMANDS.cpToCs201 = ['Authorize', 'BootNotification', 'ClearedChargingLimit', 'DataTransfer', 'FirmwareStatusNotification',
    'Get15118EVCertificate', 'GetCertificateStatus', 'Heartbeat', 'LogStatusNotification', 'MeterValues', 'NotifyChargingLimit',
    'NotifyCustomerInformation', 'NotifyDisplayMessages', 'NotifyEVChargingNeeds', 'NotifyEVChargingSchedule', 'NotifyEvent',
    'NotifyMonitoringReport', 'NotifyReport', 'PublishFirmwareStatusNotification', 'ReportChargingProfiles', 'ReservationStatusUpdate',
    'SecurityEventNotification', 'SignCertificate', 'StatusNotification', 'TransactionEvent'];
  COMMANDS.csToCp201 = ['CancelReservation', 'CertificateSigned', 'ChangeAvailability', 'ClearCache', 'ClearChargingProfile',
    'ClearDisplayMessage', 'ClearVariableMonitoring', 'CostUpdated', 'CustomerInformation', 'DataTransfer', 'DeleteCertificate',
    'GetBaseReport', 'GetChargingProfiles', 'GetCompositeSchedule', 'GetDisplayMessages', 'GetInstalledCertificateIds',
    'GetLocalListVersion', 'GetLog', 'GetMonitoringReport', 'GetReport', 'GetTransactionStatus', 'GetVariables', 'InstallCertificate',
    'PublishFirmware', 'RequestStartTransaction', 'RequestStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList', 'SetChargingProfile',
    'SetDisplayMessage', 'SetMonitoringBase', 'SetMonitoringLevel', 'SetNetworkProfile', 'SetVariableMonitoring', 'SetVariables',
    'TriggerMessage', 'UnlockConnector', 'UnpublishFirmware', 'UpdateFirmware'];
  // OCPP 2.1 adds these to 2.0.1's.
  COMMANDS.cpToCs21Only = ['BatterySwap', 'ClosePeriodicEventStream', 'GetCertificateChainStatus', 'NotifyDERAlarm', 'NotifyDERStartStop',
    'NotifyPriorityCharging', 'NotifySettlement', 'OpenPeriodicEventStream', 'PullDynamicScheduleUpdate', 'ReportDERControl',
    'VatNumberValidation'];
  COMMANDS.csToCp21Only = ['AFRRSignal', 'AdjustPeriodicEventStream', 'ChangeTransactionTariff', 'ClearDERControl', 'ClearTariffs',
    'GetDERControl', 'GetPeriodicEventStream', 'GetTariffs', 'NotifyAllowedEnergyTransfer', 'NotifyWebPaymentStarted', 'RequestBatterySwap',
    'SetDERControl', 'SetDefaultTariff', 'UpdateDynamicSchedule', 'UsePriorityCharging'];
  COMMANDS.cpToCs21 = COMMANDS.cpToCs201.concat(COMMANDS.cpToCs21Only).sort();
  COMMANDS.csToCp21 = COMMANDS.csToCp201.concat(COMMANDS.csToCp21Only).sort();
  // 2.1's one-way SEND messages (msgType 6).
  COMMANDS.send21 = ['NotifyPeriodicEventStream'];

  // The command groups for a node, by OCPP-J version and direction ("cp" = the charge point starts it).
  function jsonCommands(version, from) {
    if (version === '2.0.1') return { ['OCPP 2.0.1']: from === 'cp' ? COMMANDS.cpToCs201 : COMMANDS.csToCp201 };
    if (version === '2.1') {
      const groups = { ['OCPP 2.1']: from === 'cp' ? COMMANDS.cpToCs21 : COMMANDS.csToCp21 };
      if (from === 'cp') groups['OCPP 2.1 SEND (msgType 6)'] = COMMANDS.send21;
      return groups;
    }
    return { ['OCPP 1.6']: from === 'cp' ? COMMANDS.cpToCs : COMMANDS.csToCp16 };
  }
  return { range, json, fillCommands, jsonCommands, COMMANDS };
})();
